"""CSV export: one row per frame, `frame,time_s,<joint>_x,<joint>_y,<joint>_z,...[,<joint>_conf...][,missing]`,
metres.

`frame` counts the video's frames: it starts at `metadata["first_frame"]` (0 unless the motion is one person's
part of a multi-person video, whose motion starts where they were first seen), and `time_s = frame / fps`.
Joint names are H36M-17's made CSV-safe (`csv_joint_name`: only letters and digits, so "Neck/Nose" ->
"NeckNose"). Coordinates are in the motion's coordinate frame (see `motion.result.FRAME_DESCRIPTIONS`).
`missing` (written when the motion's metadata lists `missing_frames`, as the pipeline's motions do): 1 on the
frames where the person was not detected, whose joints are held from the nearest detected frame, else 0.
"""

from __future__ import annotations

import io
import os
import re

import numpy as np

from pstmo.atomic import write_atomically
from pstmo.skeleton import H36M_JOINTS

from .atomic import check_exportable
from .motion import Motion


def csv_joint_name(name: str) -> str:
    """A joint name with everything but letters and digits removed ("Neck/Nose" -> "NeckNose")."""
    return re.sub(r"[^A-Za-z0-9]", "", name)


def csv_header(with_confidence: bool, with_missing: bool = False) -> list[str]:
    """Column names: frame, time_s, 51 coordinates, then 17 confidences when `with_confidence`, then `missing`
    when `with_missing`."""
    names = [csv_joint_name(name) for name in H36M_JOINTS]
    columns = ["frame", "time_s"] + [f"{name}_{axis}" for name in names for axis in "xyz"]
    if with_confidence:
        columns += [f"{name}_conf" for name in names]
    if with_missing:
        columns.append("missing")
    return columns


def write_csv(motion: Motion, path: str | os.PathLike, confidence: bool = True, precision: int = 6) -> None:
    """Write `motion` as CSV (atomically). `confidence`: add the `_conf` columns when the motion has them."""
    check_exportable(motion, path)
    with_confidence = confidence and motion.confidence is not None
    frames = np.arange(len(motion)) + int(motion.metadata.get("first_frame") or 0)
    missing_frames = motion.metadata.get("missing_frames")
    with_missing = missing_frames is not None
    table = [frames[:, None].astype(float), (frames / motion.fps)[:, None], motion.joints.reshape(len(motion), -1)]
    if with_confidence:
        table.append(np.asarray(motion.confidence, dtype=float).reshape(len(motion), -1))
    if with_missing:
        table.append(np.isin(frames, np.asarray(missing_frames, dtype=np.int64))[:, None].astype(float))
    data = np.concatenate(table, axis=1)
    buffer = io.StringIO()
    formats = ["%d"] + [f"%.{precision}f"] * (data.shape[1] - 1 - with_missing) + ["%d"] * with_missing
    np.savetxt(buffer, data, fmt=formats, delimiter=",", header=",".join(csv_header(with_confidence, with_missing)),
               comments="")
    write_atomically(path, lambda file: file.write(buffer.getvalue()))


def read_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Read a CSV written by `write_csv`: times (T,) seconds, joints (T, 17, 3), confidence (T, 17) or None
    (`read_csv_missing` gives the `missing` column)."""
    with open(path, encoding="utf-8") as file:
        header = file.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    joints = data[:, 2:2 + 51].reshape(-1, 17, 3)
    confidence = data[:, 53:53 + 17] if len(header) >= 53 + 17 else None
    return data[:, 1], joints, confidence


def read_csv_missing(path: str | os.PathLike) -> np.ndarray | None:
    """The `missing` column of a CSV written by `write_csv` as (T,) bool; None when it has none."""
    with open(path, encoding="utf-8") as file:
        header = file.readline().strip().split(",")
    if "missing" not in header:
        return None
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)[:, header.index("missing")].astype(bool)
