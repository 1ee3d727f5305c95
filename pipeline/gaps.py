"""Filling frames and joints the tracker left missing, so the lifter gets NaN-free input."""

from __future__ import annotations

import numpy as np


def fill_missing(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hold the nearest valid value for every missing joint.

    keypoints: (T, J, 2) pixels, NaN where missing.
    Returns (filled (T, J, 2) with no NaN, missing (T,) bool: frames that had no valid joint at all).
    A joint that is never seen is placed at the mean of the frame's valid joints.
    Raises ValueError when no frame has any valid joint.
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    valid_joint = ~np.isnan(keypoints).any(axis=-1)  # (T, J)
    missing_frames = ~valid_joint.any(axis=1)
    if missing_frames.all():
        raise ValueError("no valid keypoints in any frame")
    filled = keypoints.copy()
    frames = np.arange(len(keypoints))
    for joint in range(keypoints.shape[1]):
        seen = np.flatnonzero(valid_joint[:, joint])
        if len(seen) == 0 or len(seen) == len(frames):
            continue
        # index of the nearest valid frame for every frame
        pos = np.clip(np.searchsorted(seen, frames), 1, len(seen) - 1) if len(seen) > 1 else np.zeros_like(frames)
        if len(seen) > 1:
            left, right = seen[pos - 1], seen[pos]
            nearest = np.where(np.abs(frames - left) <= np.abs(right - frames), left, right)
        else:
            nearest = np.full_like(frames, seen[0])
        gaps = ~valid_joint[:, joint]
        filled[gaps, joint] = keypoints[nearest[gaps], joint]
    # joints never seen at all: the centre of the frame's other joints
    still = np.isnan(filled).any(axis=-1)
    if still.any():
        centre = np.nanmean(np.where(still[..., None], np.nan, filled), axis=1)  # (T, 2)
        filled = np.where(still[..., None], centre[:, None, :], filled)
    return filled, missing_frames
