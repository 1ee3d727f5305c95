"""The project's 3D result file (`.npz` or `.json`): a Motion plus, optionally, the 2D track it came from.

Written by `process`, read by `export` and the GUI. Both forms hold the same record:

- `format` "pstmo-motion", `version` 1, `units` "m", `fps`, `frame` (coordinate frame, see `motion.motion.FRAMES`),
  `root_relative`, `joint_names` (H36M-17), `joints` (T, 17, 3) metres, optional `confidence` (T, 17) and
  `contacts` (T, 2) bool (left, right foot);
- `metadata`: free-form dict; the pipeline fills `source_video`, `detector`, `model_checkpoint`, `image_size`;
- optional `track_*`: the `Track2D` (keypoints (T, 17, 2) pixels, confidence, image_size, fps, source, detector).

The JSON export (`motion.export_json`) and NPZ export (`motion.export_npz`) write this record without a track,
so they load back with `load_result` too. The container (how header and arrays sit in NPZ and JSON), the
format name and version and the track section are `tracks.result_record`'s, so that a track can be read
out of a result file without the motion package.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from pstmo.errors import InputError
from pstmo.skeleton import H36M_JOINTS
from tracks.result_record import (
    FORMAT_NAME,
    FORMAT_VERSION,
    check_array,
    check_number,
    check_suffix,
    json_safe,
    read_record,
    track_from_record,
    track_section,
    write_record,
)
from tracks.track import Track2D

from .atomic import check_exportable
from .motion import FRAMES, Motion

STANDARD_METADATA = ("source_video", "detector", "model_checkpoint", "image_size")
"""Metadata keys every result carries (None when unknown)."""
FRAME_DESCRIPTIONS = {
    "camera": "camera frame: x right, y down, z forward (away from the camera), metres",
    "world_y_up": "world: Y up, floor at y=0, X the camera's right, Z towards the camera, metres",
    "world_z_up": "world: Z up, floor at z=0, X the camera's right, Y away from the camera, metres",
}


def motion_header(motion: Motion) -> dict[str, Any]:
    """The scalar part of the record (everything except arrays)."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "units": "m",
        "fps": float(motion.fps),
        "frame": motion.frame,
        "frame_description": FRAME_DESCRIPTIONS[motion.frame],
        "root_relative": bool(motion.root_relative),
        "joint_names": list(H36M_JOINTS),
        "metadata": json_safe({**dict.fromkeys(STANDARD_METADATA), **motion.metadata}),
    }


def _motion_arrays(motion: Motion) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {"joints": motion.joints}
    if motion.confidence is not None:
        arrays["confidence"] = np.asarray(motion.confidence, dtype=np.float64)
    if motion.contacts is not None:
        arrays["contacts"] = np.asarray(motion.contacts, dtype=bool)
    return arrays


def save_result(path: str | os.PathLike, motion: Motion, track: Track2D | None = None) -> None:
    """Write the result record to `path` atomically, as NPZ or JSON by its suffix."""
    path = Path(path)
    check_suffix(path)
    check_exportable(motion, path)
    header = motion_header(motion)
    arrays = _motion_arrays(motion)
    if track is not None:
        header["track"], track_arrays = track_section(track)
        arrays.update(track_arrays)
    write_record(path, header, arrays)


def load_result(path: str | os.PathLike) -> tuple[Motion, Track2D | None]:
    """Read a result file written by `save_result` (or the JSON/NPZ exporters).

    InputError naming the file, and the field when the structure is wrong, for anything else.
    """
    path = Path(path)
    header, arrays = read_record(path)
    if header.get("frame") not in FRAMES:
        raise InputError(f"{path}: field 'frame' must be one of {', '.join(FRAMES)}, got {header.get('frame')!r}")
    if "joints" not in arrays:
        raise InputError(f"{path}: field 'joints' is missing")
    joints = check_array(path, "joints", arrays["joints"], (None, 17, 3))
    count = len(joints)
    confidence = contacts = None
    if arrays.get("confidence") is not None:
        confidence = check_array(path, "confidence", arrays["confidence"], (count, 17))
    if arrays.get("contacts") is not None:
        contacts = check_array(path, "contacts", arrays["contacts"], (count, 2), kind="bool")
    root_relative = header.get("root_relative", True)
    if not isinstance(root_relative, bool):
        raise InputError(f"{path}: field 'root_relative' must be true or false, got {root_relative!r}")
    metadata = header.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InputError(f"{path}: field 'metadata' must be an object")
    try:
        motion = Motion(joints=joints, fps=check_number(path, "fps", header.get("fps")), frame=header["frame"],
                        root_relative=root_relative, confidence=confidence, contacts=contacts,
                        metadata=dict(metadata))
    except InputError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise InputError(f"{path}: {exc}") from None
    return motion, track_from_record(path, header, arrays)
