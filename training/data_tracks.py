"""Unlabelled 2D tracks (the app's detector output) -> `PoseSequence`s without 3D, for Stage I only.

A track file is the `detect` command's JSON (`joints` = the 17 H36M names, `image_size` [w, h], `fps`,
`keypoints` T x 17 x [x, y] pixels with nulls where missing, optionally `confidence` T x 17), a track CSV
(`detect --out FILE.csv`, layout in `tracks/track_io.py`) or a `process` result file (`.result.npz` /
result JSON). Frames where every joint is missing split
a track into segments; inside a segment a missing joint is interpolated over time (by `WindowDataset`);
a segment in which some joint is never seen is dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pstmo.errors import InputError
from tracks.track_io import load_track
from training.sequences import PoseSequence

TRACK_SUFFIXES = (".json", ".csv", ".npz")


def _segments(visible: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of True in a (T,) bool array."""
    edges = np.diff(np.concatenate([[0], visible.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def load_track_file(path: str | Path, *, min_frames: int = 1) -> list[PoseSequence]:
    """The segments of one track file (pixels, H36M-17) as unlabelled sequences; any file
    `tracks.track_io.load_track` reads (track CSV, `detect` JSON, `process` result)."""
    path = Path(path)
    track = load_track(path)
    keypoints = track.keypoints
    if np.isinf(keypoints).any():
        raise InputError(f"{path}: keypoints contain infinite values")
    width, height = track.image_size
    if width <= 0 or height <= 0:
        raise InputError(f"{path}: image_size must be positive")
    present = np.isfinite(keypoints).all(axis=-1)
    sequences = []
    for start, end in _segments(present.any(axis=1)):
        if end - start < min_frames or not present[start:end].any(axis=0).all():
            continue
        sequences.append(PoseSequence(
            name=f"{path.stem}[{start}:{end}]", keypoints_2d=keypoints[start:end], image_size=(width, height),
            fps=track.fps, subject=path.stem, action="track",
        ))
    return sequences


def load_tracks(source: str | Path, *, min_frames: int = 1) -> list[PoseSequence]:
    """Every track JSON in a folder (sorted, recursively), or one file."""
    source = Path(source)
    if not source.exists():
        raise InputError(f"{source}: track file or folder not found")
    files = [source] if source.is_file() else sorted(
        p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in TRACK_SUFFIXES)
    if not files:
        raise InputError(f"{source}: no track files ({', '.join(TRACK_SUFFIXES)})")
    sequences = []
    for path in files:
        sequences.extend(load_track_file(path, min_frames=min_frames))
    if not sequences:
        raise InputError(f"{source}: no usable frames (every segment misses some joint throughout)")
    return sequences
