"""Motion output: world alignment, root trajectory, smoothing, foot contact, exporters (no Qt).

The pipeline calls `postprocess(joints_rel, track, ...)` once, then `export(motion, path)`; each step is also
a plain function (`to_world`, `estimate_root_trajectory`, `smooth`, `detect_foot_contacts`, `lock_feet`,
`constant_bone_lengths`). See docs/motion.md.
"""

from __future__ import annotations

from .bones import constant_bone_lengths
from .contacts import detect_foot_contacts, foot_skating, lock_feet
from .exporters import FORMATS, export
from .motion import Motion
from .postprocessing import postprocess, postprocess_people
from .result import load_people, load_result, save_result
from .root_trajectory import estimate_root_trajectory, guess_focal_length
from .smoothing import OneEuroFilter, smooth
from .world import WorldFrame, fit_floor, to_world, world_frame

__all__ = [
    "FORMATS", "Motion", "OneEuroFilter", "WorldFrame", "constant_bone_lengths", "detect_foot_contacts",
    "estimate_root_trajectory", "export", "fit_floor", "foot_skating", "guess_focal_length", "load_people",
    "load_result", "lock_feet", "postprocess", "postprocess_people", "save_result", "smooth", "to_world",
    "world_frame",
]
