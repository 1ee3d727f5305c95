"""`PipelineSettings`: every choice the pipeline makes, as one plain dataclass (CLI flags and GUI dialogs)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from detectors.tracker import parse_person
from motion.exporters import FORMATS
from motion.postprocessing import SCALES as PEOPLE_SCALES
from motion.smoothing import CHOICES as SMOOTHING_CHOICES
from pstmo.device import PRECISIONS
from pstmo.errors import InputError

REPO_ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = REPO_ROOT / "assets" / "models"
UP_AXES: tuple[str, ...] = ("y", "z")


def default_checkpoint() -> Path | None:
    """The shipped lifter checkpoint under `assets/models/` (None when none is shipped yet).

    Prefers `default.json`, then `default_*.json`, then the newest other `*.json` except the live model
    (`live.json`); each needs its `.safetensors` weights beside it.
    """
    if not MODELS_DIR.is_dir():
        return None
    shipped = [p for p in MODELS_DIR.glob("*.json")
               if p.stem != "live" and p.with_suffix(".safetensors").is_file()]
    if not shipped:
        return None

    def rank(path: Path) -> tuple[int, float]:
        order = 0 if path.stem == "default" else 1 if path.stem.startswith("default") else 2
        return order, -path.stat().st_mtime

    return min(shipped, key=rank)


def default_live_checkpoint() -> Path | None:
    """The shipped causal lifter for live mode, `assets/models/live.json` (None when not shipped)."""
    path = MODELS_DIR / "live.json"
    return path if path.is_file() and path.with_suffix(".safetensors").is_file() else None


def parse_exports(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """'csv,bvh' -> ('csv', 'bvh'); InputError for a name that is not an export format."""
    names = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip().lower().lstrip(".") for n in names if n.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise InputError(f"unknown export format(s) {', '.join(unknown)}; use {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(names))


@dataclass
class PipelineSettings:
    """Settings of one pipeline run.

    detector: 2D backend name for `detectors.create_detector` (e.g. "mediapipe").
    detector_options: extra keyword options for the detector.
    checkpoint: lifter checkpoint (safetensors + JSON); None = the shipped default.
    device: "auto", "cpu" or "cuda".
    precision: the lifter's compute precision, one of `pstmo.device.PRECISIONS`: "auto" (bfloat16 on CUDA and
        on a CPU with native bfloat16, else float32; `pstmo.device.resolve_dtype`), "float32" or "bfloat16".
    flip: flip test-time augmentation in the lifter (slower, a little more accurate).
    smoothing: offline smoothing method of `motion.postprocess` ("none", "one_euro", "savgol", "butterworth");
        savgol by default (measured: 60.2 vs 61.9 mm MPJPE, 4.9 vs 29.5 mm acceleration error, see docs/motion.md).
    person: "main" (default), "largest", "longest", a tracker id, or "all" (everyone seen long enough, in one
        scene, one export file per person) (`detectors.tracker.parse_person`).
    exports: formats written by `process` (csv, bvh, json, npz).
    max_frames: stop after this many frames (None = whole video).
    max_gap: longest run of missing frames the tracker interpolates.
    world / root_trajectory / foot_lock / constant_bones / up: options of `motion.postprocess`
        (`up`: "y" or "z", the vertical axis of the world frame).
    people_scale: how several people's sizes are chosen in one scene (`motion.postprocess_people`'s `scale`):
        "height_prior" (each the lifter's adult size) or "floor" (everyone's feet on one floor; for scenes with
        children or people of very different heights, measured in docs/motion.md).
    live_mode: "causal" (low latency) or "centred" (accurate, delayed by half a window) for webcam.
    live_checkpoint: checkpoint used for live mode (None = `checkpoint`).
    torch_threads: torch intra-op threads while lifting (offline and live). 1 is fastest for the shipped small
        models beside the detector's own threads (measured: 550 vs 82 frames/s with 2 threads on the busy
        2-core CI machine); None = torch's default (may help a big model on an idle many-core CPU).
    """

    detector: str = "mediapipe"
    detector_options: dict[str, Any] = field(default_factory=dict)
    checkpoint: str | None = None
    device: str = "auto"
    precision: str = "auto"
    flip: bool = True
    smoothing: str = "savgol"
    person: str | int = "main"
    exports: tuple[str, ...] = FORMATS
    max_frames: int | None = None
    max_gap: int = 15
    world: bool = True
    root_trajectory: bool = True
    foot_lock: bool = False
    constant_bones: bool = False
    up: str = "y"
    people_scale: str = "height_prior"
    live_mode: str = "causal"
    live_checkpoint: str | None = None
    torch_threads: int | None = 1

    def __post_init__(self) -> None:
        self.person = parse_person(self.person)
        self.exports = parse_exports(self.exports)
        self.smoothing = str(self.smoothing or "none").lower()
        if self.smoothing not in SMOOTHING_CHOICES:
            raise InputError(f"smoothing must be one of {', '.join(SMOOTHING_CHOICES)}, got {self.smoothing!r}")
        if self.up not in UP_AXES:
            raise InputError(f"up axis must be y or z, got {self.up!r}")
        if self.people_scale not in PEOPLE_SCALES:
            raise InputError(f"people scale must be one of {', '.join(PEOPLE_SCALES)}, got {self.people_scale!r}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise InputError(f"device must be auto, cpu or cuda, got {self.device!r}")
        if self.precision not in PRECISIONS:
            raise InputError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.live_mode not in ("causal", "centred"):
            raise InputError(f"live mode must be causal or centred, got {self.live_mode!r}")
        if self.max_frames is not None and self.max_frames < 1:
            raise InputError(f"max_frames must be at least 1, got {self.max_frames}")

    def resolved_checkpoint(self, live: bool = False) -> Path | None:
        """Offline (and live centred mode): `checkpoint`, else the shipped default. Live causal mode:
        `live_checkpoint`, else `checkpoint`, else the shipped causal model (`assets/models/live.json`),
        else the shipped default."""
        if live and self.live_mode == "causal":
            chosen = self.live_checkpoint or self.checkpoint or default_live_checkpoint()
            if chosen:
                return Path(chosen)
        return Path(self.checkpoint) if self.checkpoint else default_checkpoint()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["exports"] = list(self.exports)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PipelineSettings:
        """Builds settings from a dict, ignoring unknown keys (e.g. from an older settings file)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> str:
        return json.dumps(self.to_dict())
