"""Unlabelled 2D tracks (the `detect` command's JSON) -> `PoseSequence`s without 3D, for Stage I only.

A track file holds `joints` (the 17 H36M names), `image_size` [w, h], `fps`, `keypoints` (T x 17 x [x, y]
pixels, null where missing) and optionally `confidence` (T x 17). Frames where every joint is missing split
a track into segments; inside a segment a missing joint is interpolated over time (by `WindowDataset`);
a segment in which some joint is never seen is dropped.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pstmo.errors import InputError
from pstmo.skeleton import H36M_JOINTS
from training.sequences import PoseSequence


def _segments(visible: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of True in a (T,) bool array."""
    edges = np.diff(np.concatenate([[0], visible.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def load_track_file(path: str | Path, *, min_frames: int = 1) -> list[PoseSequence]:
    """The segments of one track JSON (pixels, H36M-17) as unlabelled sequences."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: track file not found") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable track JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: a track file must be a JSON object")
    for key in ("keypoints", "image_size", "fps"):
        if key not in data:
            raise InputError(f"{path}: missing key '{key}'")
    joints = data.get("joints")
    if joints is not None and list(joints) != list(H36M_JOINTS):
        raise InputError(f"{path}: joints must be the 17 H36M joints in order")
    try:
        keypoints = np.array(
            [[[np.nan, np.nan] if point is None else point for point in frame] for frame in data["keypoints"]],
            dtype=np.float32,
        )
        width, height = (int(v) for v in data["image_size"])
        fps = float(data["fps"])
    except (TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed keypoints, image_size or fps ({exc})") from exc
    if len(keypoints) == 0:
        raise InputError(f"{path}: empty track (0 frames)")
    if keypoints.ndim != 3 or keypoints.shape[1:] != (17, 2):
        raise InputError(f"{path}: keypoints must be T x 17 x [x, y], got shape {keypoints.shape}")
    if np.isinf(keypoints).any():
        raise InputError(f"{path}: keypoints contain infinite values")
    if width <= 0 or height <= 0 or fps <= 0:
        raise InputError(f"{path}: image_size and fps must be positive")
    present = np.isfinite(keypoints).all(axis=-1)
    sequences = []
    for start, end in _segments(present.any(axis=1)):
        if end - start < min_frames or not present[start:end].any(axis=0).all():
            continue
        sequences.append(PoseSequence(
            name=f"{path.stem}[{start}:{end}]", keypoints_2d=keypoints[start:end], image_size=(width, height),
            fps=fps, subject=path.stem, action="track",
        ))
    return sequences


def load_tracks(source: str | Path, *, min_frames: int = 1) -> list[PoseSequence]:
    """Every track JSON in a folder (sorted, recursively), or one file."""
    source = Path(source)
    files = [source] if source.is_file() else sorted(source.rglob("*.json")) if source.is_dir() else []
    if not source.exists():
        raise InputError(f"{source}: track file or folder not found")
    if not files:
        raise InputError(f"{source}: no track .json files")
    sequences = []
    for path in files:
        sequences.extend(load_track_file(path, min_frames=min_frames))
    if not sequences:
        raise InputError(f"{source}: no usable frames (every segment misses some joint throughout)")
    return sequences
