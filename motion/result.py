"""The project's 3D result file (`.npz` or `.json`): a Motion plus, optionally, the 2D track it came from.

Written by `process`, read by `export` and the GUI. Both forms hold the same record:

- `format` "pstmo-motion", `version` 1, `units` "m", `fps`, `frame` (coordinate frame, see `motion.motion.FRAMES`),
  `root_relative`, `joint_names` (H36M-17), `joints` (T, 17, 3) metres, optional `confidence` (T, 17) and
  `contacts` (T, 2) bool (left, right foot);
- `metadata`: free-form dict; the pipeline fills `source_video`, `detector`, `model_checkpoint`, `image_size`;
- optional `track_*`: the `Track2D` (keypoints (T, 17, 2) pixels, confidence, image_size, fps, source, detector).

The JSON export (`motion.export_json`) and NPZ export (`motion.export_npz`) write this record without a track,
so they load back with `load_result` too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from detectors.track import Track2D
from pstmo.atomic import write_atomically
from pstmo.errors import InputError
from pstmo.safe_npz import read_npz
from pstmo.skeleton import H36M_JOINTS

from .atomic import check_exportable
from .motion import FRAMES, Motion

FORMAT_NAME = "pstmo-motion"
FORMAT_VERSION = 1
STANDARD_METADATA = ("source_video", "detector", "model_checkpoint", "image_size")
"""Metadata keys every result carries (None when unknown)."""
FRAME_DESCRIPTIONS = {
    "camera": "camera frame: x right, y down, z forward (away from the camera), metres",
    "world_y_up": "world: Y up, floor at y=0, X the camera's right, Z towards the camera, metres",
    "world_z_up": "world: Z up, floor at z=0, X the camera's right, Y away from the camera, metres",
}


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


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
        "metadata": _json_safe({**dict.fromkeys(STANDARD_METADATA), **motion.metadata}),
    }


def _arrays(motion: Motion, track: Track2D | None) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {"joints": motion.joints}
    if motion.confidence is not None:
        arrays["confidence"] = np.asarray(motion.confidence, dtype=np.float64)
    if motion.contacts is not None:
        arrays["contacts"] = np.asarray(motion.contacts, dtype=bool)
    if track is not None:
        arrays["track_keypoints"] = track.keypoints
        arrays["track_confidence"] = track.confidence
        arrays["track_interpolated"] = np.asarray(track.interpolated, dtype=bool)
    return arrays


def _track_header(track: Track2D) -> dict[str, Any]:
    return {"image_size": list(track.image_size), "fps": track.fps, "person_id": track.person_id,
            "source": track.source, "detector": track.detector, "extra": _json_safe(track.extra)}


def save_result(path: str | os.PathLike, motion: Motion, track: Track2D | None = None) -> None:
    """Write the result record to `path` atomically, as NPZ or JSON by its suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".npz", ".json"):
        raise InputError(f"{path}: result files end in .npz or .json")
    check_exportable(motion, path)
    header = motion_header(motion)
    if track is not None:
        header["track"] = _track_header(track)
    arrays = _arrays(motion, track)
    if suffix == ".json":
        record = dict(header)
        for name, array in arrays.items():
            if name.startswith("track_"):
                values = np.where(np.isnan(array), None, array.astype(object)) if array.dtype.kind == "f" else array
                record["track"][name[len("track_"):]] = values.tolist()
            else:
                record[name] = array.tolist()
        write_atomically(path, lambda file: json.dump(record, file))
    else:
        payload = {name: np.asarray(array) for name, array in arrays.items()}
        payload["header"] = np.array(json.dumps(header))
        write_atomically(path, lambda file: np.savez_compressed(file, **payload), binary=True)


def _load_record(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header fields, raw arrays by field name) of a result file; nothing is checked beyond the container."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if suffix == ".json":
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise InputError(f"{path}: not a readable JSON file ({exc})") from None
        if not isinstance(record, dict):
            raise InputError(f"{path}: not a {FORMAT_NAME} file (no JSON object)")
        arrays: dict[str, Any] = {}
        for name in ("joints", "confidence", "contacts"):
            if record.get(name) is not None:
                arrays[name] = record.pop(name)
        track = record.get("track")
        if isinstance(track, dict):
            for name in ("keypoints", "confidence", "interpolated"):
                if track.get(name) is not None:
                    arrays[f"track_{name}"] = track.pop(name)
        return record, arrays
    if suffix == ".npz":
        arrays = dict(read_npz(path, objects=False))  # plain arrays only: a result file never holds pickles
        if "header" not in arrays:
            raise InputError(f"{path}: not a {FORMAT_NAME} file (no 'header' entry)")
        try:
            header = json.loads(str(arrays.pop("header")))
        except (json.JSONDecodeError, RecursionError) as exc:
            raise InputError(f"{path}: corrupt header ({exc})") from None
        if not isinstance(header, dict):
            raise InputError(f"{path}: field 'header' must be a JSON object")
        return header, arrays
    raise InputError(f"{path}: result files end in .npz or .json, not {suffix or 'no suffix'}")


def _array(path: Path, field: str, value: Any, shape: tuple[int | None, ...], kind: str = "float") -> np.ndarray:
    """`value` as a float64 (or bool) array of `shape` (None: any size); InputError naming the file and field.

    JSON nulls in a float field become NaN.
    """
    described = "(" + ", ".join("T" if n is None else str(n) for n in shape) + ")"
    if isinstance(value, np.ndarray) and value.dtype.kind not in "biuf":
        raise InputError(f"{path}: field '{field}' must hold numbers, not {value.dtype}")
    try:
        if kind == "bool":
            array = np.asarray(value)
            if array.dtype.kind not in "biuf":
                raise ValueError
            array = array.astype(bool)
        else:
            array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        what = "true/false values" if kind == "bool" else "numbers"
        raise InputError(f"{path}: field '{field}' must be a {described} array of {what}") from None
    if array.ndim != len(shape) or any(n is not None and n != m for n, m in zip(shape, array.shape, strict=False)):
        raise InputError(f"{path}: field '{field}' must be a {described} array, got shape {array.shape}")
    return array


def _number(path: Path, field: str, value: Any, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or (
            positive and value <= 0):
        raise InputError(f"{path}: field '{field}' must be a positive number, got {value!r}")
    return float(value)


def _text(path: Path, field: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{path}: field '{field}' must be text, got {type(value).__name__}")
    return value


def _track(path: Path, info: Any, arrays: dict[str, Any]) -> Track2D:
    if not isinstance(info, dict):
        raise InputError(f"{path}: field 'track' must be an object")
    if "track_confidence" not in arrays:
        raise InputError(f"{path}: field 'track.confidence' is missing")
    keypoints = _array(path, "track.keypoints", arrays["track_keypoints"], (None, 17, 2))
    count = len(keypoints)
    confidence = _array(path, "track.confidence", arrays["track_confidence"], (count, 17))
    interpolated = None
    if arrays.get("track_interpolated") is not None:
        interpolated = _array(path, "track.interpolated", arrays["track_interpolated"], (count,), kind="bool")
    size = info.get("image_size")
    if not isinstance(size, (list, tuple)) or len(size) != 2 or not all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in size):
        raise InputError(f"{path}: field 'track.image_size' must be [width, height] in whole pixels, got {size!r}")
    person = info.get("person_id")
    if person is not None and (isinstance(person, bool) or not isinstance(person, int)):
        raise InputError(f"{path}: field 'track.person_id' must be a whole number or null, got {person!r}")
    extra = info.get("extra") or {}
    if not isinstance(extra, dict):
        raise InputError(f"{path}: field 'track.extra' must be an object")
    return Track2D(keypoints=keypoints, confidence=confidence, image_size=(size[0], size[1]),
                   fps=_number(path, "track.fps", info.get("fps")), person_id=person, interpolated=interpolated,
                   source=_text(path, "track.source", info.get("source")),
                   detector=_text(path, "track.detector", info.get("detector")), extra=extra)


def load_result(path: str | os.PathLike) -> tuple[Motion, Track2D | None]:
    """Read a result file written by `save_result` (or the JSON/NPZ exporters).

    InputError naming the file, and the field when the structure is wrong, for anything else.
    """
    path = Path(path)
    header, arrays = _load_record(path)
    if header.get("format") != FORMAT_NAME:
        raise InputError(f"{path}: not a {FORMAT_NAME} file (format is {header.get('format')!r})")
    version = header.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(f"{path}: field 'version' must be a whole number, got {version!r}")
    if version > FORMAT_VERSION:
        raise InputError(f"{path}: written by a newer version ({version}); update the program")
    if header.get("frame") not in FRAMES:
        raise InputError(f"{path}: field 'frame' must be one of {', '.join(FRAMES)}, got {header.get('frame')!r}")
    if "joints" not in arrays:
        raise InputError(f"{path}: field 'joints' is missing")
    joints = _array(path, "joints", arrays["joints"], (None, 17, 3))
    count = len(joints)
    confidence = contacts = None
    if arrays.get("confidence") is not None:
        confidence = _array(path, "confidence", arrays["confidence"], (count, 17))
    if arrays.get("contacts") is not None:
        contacts = _array(path, "contacts", arrays["contacts"], (count, 2), kind="bool")
    root_relative = header.get("root_relative", True)
    if not isinstance(root_relative, bool):
        raise InputError(f"{path}: field 'root_relative' must be true or false, got {root_relative!r}")
    metadata = header.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InputError(f"{path}: field 'metadata' must be an object")
    try:
        motion = Motion(joints=joints, fps=_number(path, "fps", header.get("fps")), frame=header["frame"],
                        root_relative=root_relative, confidence=confidence, contacts=contacts,
                        metadata=dict(metadata))
        track = None
        if "track_keypoints" in arrays and header.get("track") is not None:
            track = _track(path, header["track"], arrays)
    except InputError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise InputError(f"{path}: {exc}") from None
    return motion, track
