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
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from detectors.track import Track2D
from pstmo.atomic import write_atomically
from pstmo.errors import InputError
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


def _load_record(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if suffix == ".json":
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: not a readable JSON file ({exc})") from exc
        if not isinstance(record, dict):
            raise InputError(f"{path}: not a {FORMAT_NAME} file (no JSON object)")
        arrays: dict[str, np.ndarray] = {}
        for name in ("joints", "confidence", "contacts"):
            if record.get(name) is not None:
                arrays[name] = np.asarray(record.pop(name))
        track = record.get("track")
        if isinstance(track, dict):
            for name in ("keypoints", "confidence", "interpolated"):
                if track.get(name) is not None:
                    values = np.asarray(track.pop(name), dtype=bool if name == "interpolated" else np.float64)
                    arrays[f"track_{name}"] = values
        return record, arrays
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise InputError(f"{path}: not a readable NPZ file ({exc})") from exc
        if "header" not in arrays:
            raise InputError(f"{path}: not a {FORMAT_NAME} file (no 'header' entry)")
        try:
            header = json.loads(str(arrays.pop("header")))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: corrupt header ({exc})") from exc
        return header, arrays
    raise InputError(f"{path}: result files end in .npz or .json, not {suffix or 'no suffix'}")


def load_result(path: str | os.PathLike) -> tuple[Motion, Track2D | None]:
    """Read a result file written by `save_result` (or the JSON/NPZ exporters)."""
    path = Path(path)
    header, arrays = _load_record(path)
    if header.get("format") != FORMAT_NAME:
        raise InputError(f"{path}: not a {FORMAT_NAME} file (format is {header.get('format')!r})")
    if int(header.get("version", 0)) > FORMAT_VERSION:
        raise InputError(f"{path}: written by a newer version ({header.get('version')}); update the program")
    if header.get("frame") not in FRAMES or "joints" not in arrays:
        raise InputError(f"{path}: {FORMAT_NAME} file without joints or a known coordinate frame")
    try:
        motion = Motion(
            joints=np.asarray(arrays["joints"], dtype=np.float64),
            fps=float(header["fps"]),
            frame=header["frame"],
            root_relative=bool(header.get("root_relative", True)),
            confidence=arrays.get("confidence"),
            contacts=None if arrays.get("contacts") is None else np.asarray(arrays["contacts"], dtype=bool),
            metadata=dict(header.get("metadata") or {}),
        )
        track = None
        if "track_keypoints" in arrays and isinstance(header.get("track"), dict):
            info = header["track"]
            keypoints = np.asarray(arrays["track_keypoints"], dtype=np.float64)
            track = Track2D(
                keypoints=keypoints, confidence=arrays["track_confidence"], image_size=tuple(info["image_size"]),
                fps=info["fps"], person_id=info.get("person_id"), interpolated=arrays.get("track_interpolated"),
                source=info.get("source", ""), detector=info.get("detector", ""), extra=info.get("extra") or {},
            )
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed {FORMAT_NAME} file ({exc!r})") from exc
    return motion, track
