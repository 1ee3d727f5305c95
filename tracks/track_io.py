"""2D track files: `Track2D` as CSV, and one loader for every file that holds a track.

CSV layout (one row per frame, pixels, empty cells where a joint is missing):

    # pstmo-track2d image_size=1768x994 fps=30.0
    frame,time_s,Pelvis_x,Pelvis_y,Pelvis_conf,RHip_x,RHip_y,RHip_conf,...,RWrist_conf

Joint names are H36M-17's with everything but letters and digits removed ("Neck/Nose" -> "NeckNose").
The first line carries what the rows cannot: the image size and the frame rate.

`load_track(path)` reads that CSV, the `detect` command's JSON, and the `process` command's result files
(`.result.npz` / result JSON, which hold the 2D track beside the 3D).
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import numpy as np

from pstmo.atomic import write_atomically
from pstmo.errors import InputError
from pstmo.skeleton import H36M_JOINTS
from tracks.result_record import read_json_object, read_record, record_from_json, track_from_record
from tracks.track import Track2D

CSV_MAGIC = "# pstmo-track2d"
CSV_JOINT_NAMES: tuple[str, ...] = tuple(re.sub(r"[^A-Za-z0-9]", "", name) for name in H36M_JOINTS)


def track_csv_header() -> list[str]:
    """Column names of a track CSV."""
    columns = ["frame", "time_s"]
    for name in CSV_JOINT_NAMES:
        columns += [f"{name}_x", f"{name}_y", f"{name}_conf"]
    return columns


def _cell(value: float, digits: int) -> str:
    return "" if not np.isfinite(value) else f"{value:.{digits}f}"


def write_track_csv(track: Track2D, path: str | os.PathLike) -> Path:
    """Write `track` as a track CSV, atomically."""
    width, height = track.image_size

    def write(file) -> None:
        file.write(f"{CSV_MAGIC} image_size={width}x{height} fps={track.fps:g}\n")
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(track_csv_header())
        for index in range(len(track)):
            row = [str(index), f"{index / track.fps:.6f}"]
            for joint in range(len(H36M_JOINTS)):
                x, y = track.keypoints[index, joint]
                missing = not (np.isfinite(x) and np.isfinite(y))
                row += [_cell(x, 2), _cell(y, 2), "" if missing else f"{track.confidence[index, joint]:.4f}"]
            writer.writerow(row)

    return write_atomically(path, write)


def read_track_csv(path: str | os.PathLike) -> Track2D:
    """Read a track CSV written by `write_track_csv` (InputError naming the file when it is not one)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the track CSV ({error})") from None
    first, _, body = text.partition("\n")
    match = re.fullmatch(re.escape(CSV_MAGIC) + r" image_size=(\d+)x(\d+) fps=([0-9.eE+-]+)\s*", first)
    if match is None:
        raise InputError(f"{path}: not a track CSV (its first line must be '{CSV_MAGIC} image_size=WxH fps=F')")
    try:
        rows = list(csv.reader(io.StringIO(body)))
    except csv.Error as error:
        raise InputError(f"{path}: not a readable CSV ({error})") from None
    if not rows or rows[0] != track_csv_header():
        raise InputError(f"{path}: track CSV header must be {','.join(track_csv_header()[:5])},...")
    if len(rows) < 2:
        raise InputError(f"{path}: empty track (0 frames)")
    cells = 2 + 3 * len(H36M_JOINTS)
    for line, row in enumerate(rows[1:], start=3):
        if len(row) != cells:
            raise InputError(f"{path}: line {line} has {len(row)} cells; every row needs {cells}")
    try:
        values = np.array([[float(cell) if cell else np.nan for cell in row[2:]] for row in rows[1:]])
    except ValueError as error:
        raise InputError(f"{path}: a cell is not a number ({error})") from None
    values = values.reshape(len(values), len(H36M_JOINTS), 3)
    confidence = np.nan_to_num(values[..., 2], nan=0.0)
    fps = float(match.group(3))
    if not (np.isfinite(fps) and fps > 0):
        raise InputError(f"{path}: fps must be a positive number, got {match.group(3)}")
    width, height = int(match.group(1)), int(match.group(2))
    if width <= 0 or height <= 0:
        raise InputError(f"{path}: image_size must be positive, got {width}x{height}")
    return Track2D(keypoints=values[..., :2], confidence=confidence, image_size=(width, height), fps=fps,
                   source=str(path))


def _field_error(path: Path, field: str, expected: str) -> InputError:
    return InputError(f"{path}: field '{field}' must be {expected}")


def _track_from_detect_json(path: Path, data: dict) -> Track2D:
    for key in ("keypoints", "image_size", "fps"):
        if key not in data:
            raise InputError(f"{path}: missing key '{key}'")
    joints = data.get("joints")
    if joints is not None and (not isinstance(joints, list) or joints != list(H36M_JOINTS)):
        raise _field_error(path, "joints", "the 17 H36M joint names in order")
    frames = data["keypoints"]
    if not isinstance(frames, list) or not all(isinstance(frame, list) for frame in frames):
        raise _field_error(path, "keypoints", "a list of frames, each a list of 17 [x, y] points or nulls")
    try:
        keypoints = np.array(
            [[[np.nan, np.nan] if point is None else point for point in frame] for frame in frames],
            dtype=np.float32,
        )
    except (TypeError, ValueError):
        raise _field_error(path, "keypoints", "T x 17 x [x, y] numbers (null where missing)") from None
    if len(keypoints) == 0:
        raise InputError(f"{path}: empty track (0 frames)")
    if keypoints.ndim != 3 or keypoints.shape[1:] != (17, 2):
        raise InputError(f"{path}: field 'keypoints' must be T x 17 x [x, y], got shape {keypoints.shape}")
    size = data["image_size"]
    if not isinstance(size, list) or len(size) != 2 or not all(
            isinstance(n, (int, float)) and not isinstance(n, bool) and np.isfinite(n) and n > 0 for n in size):
        raise _field_error(path, "image_size", f"[width, height] in positive pixels, got {size!r}")
    fps = data["fps"]
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not np.isfinite(fps) or fps <= 0:
        raise _field_error(path, "fps", f"a positive number, got {fps!r}")
    confidence = data.get("confidence")
    if confidence is None:
        confidence = np.isfinite(keypoints).all(axis=-1).astype(np.float32)
    else:
        try:
            confidence = np.array(confidence, dtype=np.float32)
        except (TypeError, ValueError):
            raise _field_error(path, "confidence", "T x 17 numbers") from None
        if confidence.shape != keypoints.shape[:2]:
            raise _field_error(path, "confidence", f"T x 17 = {keypoints.shape[:2]}, got shape {confidence.shape}")
    return Track2D(keypoints=keypoints, confidence=confidence, image_size=(int(size[0]), int(size[1])),
                   fps=float(fps), source=str(path))


def _track_in_result(path: Path, header: dict, arrays: dict) -> Track2D:
    track = track_from_record(path, header, arrays)
    if track is None:
        raise InputError(f"{path}: this result file holds no 2D track")
    return track


def load_track(path: str | os.PathLike) -> Track2D:
    """The 2D track in a track CSV, a `detect` JSON, or a `process` result (.npz / result JSON)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: track file not found")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_track_csv(path)
    if suffix == ".npz":
        return _track_in_result(path, *read_record(path))
    if suffix != ".json":
        raise InputError(f"{path}: unknown track file type (use .csv, .json or a .result.npz)")
    data = read_json_object(path, "track JSON")
    if "format" in data and "keypoints" not in data:
        return _track_in_result(path, *record_from_json(path, data))
    return _track_from_detect_json(path, data)
