"""The container of result files (`.npz` / `.json`) and the 2D track inside them.

A result record is a JSON-able `header` (dict) plus named arrays. As NPZ: the arrays as entries and the
header as a JSON string in the entry `header`. As JSON: one object, the header's keys with the arrays beside
them, except the `track_*` arrays, which go into `header["track"]` without their prefix (NaN as null).

The record's meaning (the `Motion` part) is `motion.result`'s; this module holds what the motion package
and the track files (`tracks.track_io.load_track`) both need: reading and writing the container, the
format name and version, the track section (`header["track"]`: image_size, fps, person_id, source,
detector, extra; arrays `track_keypoints` (T, 17, 2) pixels, `track_confidence` (T, 17),
`track_interpolated` (T,) bool) and the field checks both use. A result file is untrusted input: the NPZ
form is read by the restricted reader (`pstmo.safe_npz`, plain arrays only) and every problem is an
InputError naming the file and, where the structure is wrong, the field.

Version 2 adds `header["people"]`: more people of the same video (a multi-person run), each entry an object
with its `id` and its own header fields; their arrays are named `person<ID>_<name>` (`person_array`): in NPZ as
entries of that name, in JSON inside the person's entry (`track_*` in its `track`), as for the top level.
Version 1 files have no `people` and read as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from pstmo.atomic import write_atomically
from pstmo.errors import InputError
from pstmo.safe_npz import read_npz
from tracks.track import Track2D

FORMAT_NAME = "pstmo-motion"
FORMAT_VERSION = 2
"""2: the `people` section (several people per file); 1: one person (still read)."""
SUFFIXES = (".npz", ".json")
ARRAY_NAMES = ("joints", "confidence", "contacts")
TRACK_ARRAY_NAMES = ("keypoints", "confidence", "interpolated")


def person_array(person_id: int, name: str) -> str:
    """The record's name of a person's array in the `people` section: `person<ID>_<name>`."""
    return f"person{int(person_id)}_{name}"


def _person_entries(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{'person<ID>_': entry} of the `people` section (entries that are objects with a whole-number id)."""
    people = record.get("people")
    if not isinstance(people, list):
        return {}
    return {person_array(entry["id"], ""): entry for entry in people
            if isinstance(entry, dict) and isinstance(entry.get("id"), int) and not isinstance(entry["id"], bool)}


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
        entries = _person_entries(record)
        for name, array in arrays.items():
            prefix = next((p for p in entries if name.startswith(p)), None)
            into = entries[prefix] if prefix else record
            field_name = name[len(prefix):] if prefix else name
            if field_name.startswith("track_"):
                values = np.where(np.isnan(array), None, array.astype(object)) if array.dtype.kind == "f" else array
                into["track"][field_name[len("track_"):]] = values.tolist()
            else:
                into[field_name] = array.tolist()
        text = json.dumps(record)  # one shot: the C encoder (json.dump encodes in Python, ~10x slower)
        write_atomically(path, lambda file: file.write(text))
    else:
        payload = {name: np.asarray(array) for name, array in arrays.items()}
        payload["header"] = np.array(json.dumps(header))
        write_atomically(path, lambda file: np.savez_compressed(file, **payload), binary=True)


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """The JSON object in `path`; InputError naming the file (as `what`) when unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{path}: not a readable {what} ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a {what} (no JSON object)")
    return data


def _split_json(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A JSON record's header and raw array values (taken out of it and out of each person's entry; checked
    later, field by field)."""
    arrays: dict[str, Any] = {}
    for prefix, holder in [("", record), *_person_entries(record).items()]:
        for name in ARRAY_NAMES:
            if holder.get(name) is not None:
                arrays[prefix + name] = holder.pop(name)
        track = holder.get("track")
        if isinstance(track, dict):
            for name in TRACK_ARRAY_NAMES:
                if track.get(name) is not None:
                    arrays[f"{prefix}track_{name}"] = track.pop(name)
    return record, arrays


def _read_npz(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    arrays: dict[str, Any] = dict(read_npz(path, objects=False))  # plain arrays only: never a pickle
    if "header" not in arrays:
        raise InputError(f"{path}: not a {FORMAT_NAME} file (no 'header' entry)")
    try:
        header = json.loads(str(arrays.pop("header")))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{path}: corrupt header ({exc})") from None
    if not isinstance(header, dict):
        raise InputError(f"{path}: field 'header' must be a JSON object")
    return header, arrays


def _check_header(path: Path, header: dict[str, Any]) -> None:
    if header.get("format") != FORMAT_NAME:
        raise InputError(f"{path}: not a {FORMAT_NAME} file (format is {header.get('format')!r})")
    version = header.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(f"{path}: field 'version' must be a whole number, got {version!r}")
    if version > FORMAT_VERSION:
        raise InputError(f"{path}: written by a newer version ({version}); update the program")


def read_record(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, raw arrays by field name) of a result file; InputError naming the file when it is missing,
    unreadable, of another format or of a newer version. The arrays are checked by `check_array`."""
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


def record_from_json(path: Path, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`read_record` for a result JSON already parsed into `data` (which loses its arrays)."""
    header, arrays = _split_json(data)
    _check_header(path, header)
    return header, arrays


def check_array(path: Path, field: str, value: Any, shape: tuple[int | None, ...], kind: str = "float") -> np.ndarray:
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


def check_number(path: Path, field: str, value: Any) -> float:
    """`value` as a positive finite float; InputError naming the file and field otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value <= 0:
        raise InputError(f"{path}: field '{field}' must be a positive number, got {value!r}")
    return float(value)


def _text(path: Path, field: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{path}: field '{field}' must be text, got {type(value).__name__}")
    return value


def track_section(track: Track2D) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The record's `header["track"]` and `track_*` arrays for `track`."""
    header = {"image_size": list(track.image_size), "fps": track.fps, "person_id": track.person_id,
              "source": track.source, "detector": track.detector, "extra": json_safe(track.extra)}
    arrays = {"track_keypoints": track.keypoints, "track_confidence": track.confidence,
              "track_interpolated": np.asarray(track.interpolated, dtype=bool)}
    return header, arrays


def track_from_record(path: Path, header: dict[str, Any], arrays: dict[str, Any], prefix: str = "",
                      field: str = "track") -> Track2D | None:
    """The `Track2D` of a record read by `read_record` (None when it holds none); InputError naming the file
    and the field (`track.image_size`, ...) when the track section is malformed. `prefix` / `field`: a person's
    track in the `people` section (arrays `person<ID>_track_*`, `header` their entry, field e.g. `people[1].track`
    in messages)."""
    info = header.get("track")
    if f"{prefix}track_keypoints" not in arrays or info is None:
        return None
    if not isinstance(info, dict):
        raise InputError(f"{path}: field '{field}' must be an object")
    if f"{prefix}track_confidence" not in arrays:
        raise InputError(f"{path}: field '{field}.confidence' is missing")
    keypoints = check_array(path, f"{field}.keypoints", arrays[f"{prefix}track_keypoints"], (None, 17, 2))
    count = len(keypoints)
    confidence = check_array(path, f"{field}.confidence", arrays[f"{prefix}track_confidence"], (count, 17))
    interpolated = None
    if arrays.get(f"{prefix}track_interpolated") is not None:
        interpolated = check_array(path, f"{field}.interpolated", arrays[f"{prefix}track_interpolated"], (count,),
                                   kind="bool")
    size = info.get("image_size")
    if not isinstance(size, (list, tuple)) or len(size) != 2 or not all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in size):
        raise InputError(f"{path}: field '{field}.image_size' must be [width, height] in whole pixels, got {size!r}")
    person = info.get("person_id")
    if person is not None and (isinstance(person, bool) or not isinstance(person, int)):
        raise InputError(f"{path}: field '{field}.person_id' must be a whole number or null, got {person!r}")
    extra = info.get("extra") or {}
    if not isinstance(extra, dict):
        raise InputError(f"{path}: field '{field}.extra' must be an object")
    try:
        return Track2D(keypoints=keypoints, confidence=confidence, image_size=(size[0], size[1]),
                       fps=check_number(path, f"{field}.fps", info.get("fps")), person_id=person,
                       interpolated=interpolated, source=_text(path, f"{field}.source", info.get("source")),
                       detector=_text(path, f"{field}.detector", info.get("detector")), extra=extra)
    except InputError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise InputError(f"{path}: {exc}") from None
