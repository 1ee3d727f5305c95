"""The container of result files (`.npz` / `.json`) and the 2D track inside them.

A result record is a JSON-able `header` (dict) plus named arrays. As NPZ: the arrays as entries and the
header as a JSON string in the entry `header`. As JSON: one object, the header's keys with the arrays beside
them, except the `track_*` arrays, which go into `header["track"]` without their prefix (NaN as null).

The record's meaning (the `Motion` part) is `motion.result`'s; this module holds what the motion package
and the track files (`tracks.track_io.load_track`) both need: reading and writing the container, the
format name and version, and the track section (`header["track"]`: image_size, fps, person_id, source,
detector, extra; arrays `track_keypoints` (T, 17, 2) pixels, `track_confidence` (T, 17),
`track_interpolated` (T,) bool).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from pstmo.atomic import write_atomically
from pstmo.errors import InputError
from tracks.track import Track2D

FORMAT_NAME = "pstmo-motion"
FORMAT_VERSION = 1
SUFFIXES = (".npz", ".json")


def json_safe(value: Any) -> Any:
    """`value` with numpy arrays and scalars, tuples and paths turned into plain JSON types."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def check_suffix(path: Path) -> None:
    """InputError unless `path` ends in .npz or .json."""
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"{path}: result files end in .npz or .json")


def write_record(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write a record atomically, as NPZ or JSON by the suffix of `path`."""
    check_suffix(path)
    if path.suffix.lower() == ".json":
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


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """The JSON object in `path`; InputError naming the file (as `what`) when unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable {what} ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a {what} (no JSON object)")
    return data


def _split_json(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A JSON record's header and arrays (the arrays are taken out of it)."""
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


def _read_npz(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
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


def _check_header(path: Path, header: Any) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        found = header.get("format") if isinstance(header, dict) else None
        raise InputError(f"{path}: not a {FORMAT_NAME} file (format is {found!r})")
    if int(header.get("version", 0)) > FORMAT_VERSION:
        raise InputError(f"{path}: written by a newer version ({header.get('version')}); update the program")


def read_record(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header, arrays) of a result file; InputError naming the file when it is missing, unreadable, of
    another format or of a newer version."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if suffix == ".json":
        header, arrays = _split_json(read_json_object(path, f"{FORMAT_NAME} JSON file"))
    elif suffix == ".npz":
        header, arrays = _read_npz(path)
    else:
        raise InputError(f"{path}: result files end in .npz or .json, not {suffix or 'no suffix'}")
    _check_header(path, header)
    return header, arrays


def record_from_json(path: Path, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """`read_record` for a result JSON already parsed into `data` (which loses its arrays)."""
    header, arrays = _split_json(data)
    _check_header(path, header)
    return header, arrays


def track_section(track: Track2D) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The record's `header["track"]` and `track_*` arrays for `track`."""
    header = {"image_size": list(track.image_size), "fps": track.fps, "person_id": track.person_id,
              "source": track.source, "detector": track.detector, "extra": json_safe(track.extra)}
    arrays = {"track_keypoints": track.keypoints, "track_confidence": track.confidence,
              "track_interpolated": np.asarray(track.interpolated, dtype=bool)}
    return header, arrays


def track_from_record(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> Track2D | None:
    """The `Track2D` of a record read by `read_record` (None when it holds none)."""
    info = header.get("track")
    if "track_keypoints" not in arrays or not isinstance(info, dict):
        return None
    try:
        return Track2D(
            keypoints=np.asarray(arrays["track_keypoints"], dtype=np.float64), confidence=arrays["track_confidence"],
            image_size=tuple(info["image_size"]), fps=info["fps"], person_id=info.get("person_id"),
            interpolated=arrays.get("track_interpolated"), source=info.get("source", ""),
            detector=info.get("detector", ""), extra=info.get("extra") or {},
        )
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed {FORMAT_NAME} file ({exc!r})") from exc
