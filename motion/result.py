"""The project's 3D result file (`.npz` or `.json`): a Motion plus, optionally, the 2D track it came from.

Written by `process`, read by `export` and the GUI. Both forms hold the same record:

- `format` "pstmo-motion", `version` 2, `units` "m", `fps`, `frame` (coordinate frame, see `motion.motion.FRAMES`),
  `root_relative`, `joint_names` (H36M-17), `joints` (T, 17, 3) metres, optional `confidence` (T, 17) and
  `contacts` (T, 2) bool (left, right foot);
- `metadata`: free-form dict; the pipeline fills `source_video`, `detector`, `model_checkpoint`, `image_size`;
- optional `track_*`: the `Track2D` (keypoints (T, 17, 2) pixels, confidence, image_size, fps, source, detector);
- optional `people` (version 2): everyone else lifted from the same video (`process --person all`), each with the
  same fields as the top level (`fps`, `frame`, `root_relative`, `metadata`, arrays `joints`, ..., `track`) and
  its `id`; the top level is the main person. A person's `metadata["first_frame"]` is the video frame of their
  frame 0 (their motion covers the frames from their first to their last detection) and
  `metadata["missing_frames"]` the video frames where they were not detected (held from the nearest detection).
  `load_people` reads everyone; `load_result` the main person. Version 1 files (one person) read the same way.

The JSON export (`motion.export_json`) and NPZ export (`motion.export_npz`) write this record without a track,
so they load back with `load_result` too. The container (how header and arrays sit in NPZ and JSON), the
format name and version and the track section are `tracks.result_record`'s, so that a track can be read
out of a result file without the motion package.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
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
    person_array,
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


@dataclass
class PersonRecord:
    """One person of a result file: tracker `person_id` (None when unknown), `first_frame` (the video frame of
    the motion's frame 0), their `Motion` and the `Track2D` it came from (None when not stored)."""

    person_id: int | None
    first_frame: int
    motion: Motion
    track: Track2D | None


def save_result(path: str | os.PathLike, motion: Motion, track: Track2D | None = None,
                people: Sequence[tuple[Motion, Track2D | None]] = ()) -> None:
    """Write the result record to `path` atomically, as NPZ or JSON by its suffix. `people`: everyone else
    lifted from the video, as (motion, track); each motion's `metadata["person_id"]` (a whole number, unique)
    names them."""
    path = Path(path)
    check_suffix(path)
    check_exportable(motion, path)
    header = motion_header(motion)
    arrays = _motion_arrays(motion)
    if track is not None:
        header["track"], track_arrays = track_section(track)
        arrays.update(track_arrays)
    if people:
        header["people"] = []
        seen = {motion.metadata.get("person_id")}
        for other, other_track in people:
            person = other.metadata.get("person_id")
            if isinstance(person, bool) or not isinstance(person, (int, np.integer)) or person in seen:
                raise InputError(f"{path}: every person needs their own whole-number metadata['person_id'], "
                                 f"got {person!r}")
            seen.add(person)
            check_exportable(other, path)
            entry = {key: value for key, value in motion_header(other).items() if key not in ("format", "version")}
            entry["id"] = int(person)
            other_arrays = _motion_arrays(other)
            if other_track is not None:
                entry["track"], track_arrays = track_section(other_track)
                other_arrays.update(track_arrays)
            header["people"].append(entry)
            arrays.update({person_array(person, name): array for name, array in other_arrays.items()})
    write_record(path, header, arrays)


def _motion_from(path: Path, header: dict[str, Any], arrays: dict[str, Any], prefix: str = "",
                 field: str = "") -> Motion:
    """The Motion of a record's top level, or of one person (`prefix` "person<ID>_", `field` "people[n]." for
    messages)."""
    if header.get("frame") not in FRAMES:
        raise InputError(f"{path}: field '{field}frame' must be one of {', '.join(FRAMES)}, "
                         f"got {header.get('frame')!r}")
    if f"{prefix}joints" not in arrays:
        raise InputError(f"{path}: field '{field}joints' is missing")
    joints = check_array(path, f"{field}joints", arrays[f"{prefix}joints"], (None, 17, 3))
    count = len(joints)
    confidence = contacts = None
    if arrays.get(f"{prefix}confidence") is not None:
        confidence = check_array(path, f"{field}confidence", arrays[f"{prefix}confidence"], (count, 17))
    if arrays.get(f"{prefix}contacts") is not None:
        contacts = check_array(path, f"{field}contacts", arrays[f"{prefix}contacts"], (count, 2), kind="bool")
    root_relative = header.get("root_relative", True)
    if not isinstance(root_relative, bool):
        raise InputError(f"{path}: field '{field}root_relative' must be true or false, got {root_relative!r}")
    metadata = header.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InputError(f"{path}: field '{field}metadata' must be an object")
    try:
        return Motion(joints=joints, fps=check_number(path, f"{field}fps", header.get("fps")), frame=header["frame"],
                      root_relative=root_relative, confidence=confidence, contacts=contacts, metadata=dict(metadata))
    except InputError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise InputError(f"{path}: {exc}") from None


def load_result(path: str | os.PathLike) -> tuple[Motion, Track2D | None]:
    """Read a result file written by `save_result` (or the JSON/NPZ exporters): the main person's motion and
    track (see `load_people` for everyone).

    InputError naming the file, and the field when the structure is wrong, for anything else.
    """
    path = Path(path)
    header, arrays = read_record(path)
    return _motion_from(path, header, arrays), track_from_record(path, header, arrays)


def load_people(path: str | os.PathLike) -> list[PersonRecord]:
    """Everyone in a result file: the main person first, then the `people` section in its order (a version 1
    file or a single-person result: just the one). InputError naming the file and field as `load_result`."""
    path = Path(path)
    header, arrays = read_record(path)
    main = _motion_from(path, header, arrays)
    track = track_from_record(path, header, arrays)
    people = [PersonRecord(_person_id(path, "metadata.person_id", main.metadata.get("person_id",
                                                                                      track and track.person_id)),
                           _first_frame(path, "metadata.first_frame", main.metadata), main, track)]
    entries = header.get("people", [])
    if not isinstance(entries, list):
        raise InputError(f"{path}: field 'people' must be a list")
    seen = {people[0].person_id}
    for n, entry in enumerate(entries):
        field = f"people[{n}]."
        if not isinstance(entry, dict):
            raise InputError(f"{path}: field 'people[{n}]' must be an object")
        person = _person_id(path, f"{field}id", entry.get("id"))
        if person is None or person in seen:
            raise InputError(f"{path}: field '{field}id' must be a whole number of its own, got {entry.get('id')!r}")
        seen.add(person)
        prefix = person_array(person, "")
        motion = _motion_from(path, entry, arrays, prefix, field)
        motion.metadata.setdefault("person_id", person)
        people.append(PersonRecord(person, _first_frame(path, f"{field}metadata.first_frame", motion.metadata), motion,
                                   track_from_record(path, entry, arrays, prefix, f"{field}track")))
    return people


def _person_id(path: Path, field: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{path}: field '{field}' must be a whole number, got {value!r}")
    return int(value)


def _first_frame(path: Path, field: str, metadata: dict[str, Any]) -> int:
    value = metadata.get("first_frame", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{path}: field '{field}' must be a whole number >= 0, got {value!r}")
    return value
