"""Motion output: world alignment, root trajectory, smoothing, foot contact, exporters (no Qt).

The pipeline calls `postprocess(joints_rel, track, ...)` once, then `export(motion, path)`; each step is also
a plain function (`to_world`, `estimate_root_trajectory`, `smooth`, `detect_foot_contacts`, `lock_feet`,
`constant_bone_lengths`). See docs/motion.md. Each name loads its module on first use (see `_EXPORTS`).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "constant_bone_lengths": "bones", "detect_foot_contacts": "contacts", "foot_skating": "contacts",
    "lock_feet": "contacts", "FORMATS": "exporters", "export": "exporters", "Motion": "motion",
    "postprocess": "postprocessing", "postprocess_people": "postprocessing", "load_people": "result",
    "load_result": "result", "save_result": "result", "WorldFrame": "world", "fit_floor": "world",
    "world_frame": "world",
    "estimate_root_trajectory": "root_trajectory", "guess_focal_length": "root_trajectory",
    "OneEuroFilter": "smoothing", "smooth": "smoothing", "to_world": "world",
}
"""Names of this package and their modules, imported on first use: `from motion.exporters import FORMATS` (the
CLI's start-up) then needs neither scipy nor the other modules (importing scipy takes a second or two)."""


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'motion' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def preload() -> None:
    """Imports every module of this package now (with scipy.spatial: about a second, mostly holding Python's
    GIL): for a background thread that overlaps it with other work, or before a GUI shows. scipy.signal
    (another second) is imported only by the Butterworth filter, when used."""
    for module in set(_EXPORTS.values()):
        importlib.import_module(f".{module}", __name__)


__all__ = [
    "FORMATS", "Motion", "OneEuroFilter", "WorldFrame", "constant_bone_lengths", "detect_foot_contacts",
    "estimate_root_trajectory", "export", "fit_floor", "foot_skating", "guess_focal_length", "load_people",
    "load_result", "lock_feet", "postprocess", "postprocess_people", "preload", "save_result", "smooth", "to_world",
    "world_frame",
]
