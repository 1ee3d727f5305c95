"""Gap filling: the one rule set for joints and frames a detector missed, used by the tracker, the
pipeline and training alike.

Rules, applied in this order:
1. **Short gaps are interpolated** (`interpolate_short_gaps`, run by the tracker): per joint, a run of at
   most `max_gap` unreliable frames (NaN, or confidence below `min_confidence`) between two reliable frames
   becomes the straight line between them. Longer runs and runs at the start or end stay as detected.
2. **What is left is held** (`hold_nearest`, run just before lifting): every still-missing joint takes its
   value in the nearest frame where it was seen (the earlier frame on a tie); a joint never seen in the
   clip sits at the centre of that frame's other joints. The lifter then gets NaN-free input; the frames
   with no joint at all are reported so that results can mark them, not pass them off as detections.

`fill_for_lifting` applies both (training data with holes goes through it, so the model sees gaps filled
the way the app fills them).
"""

from __future__ import annotations

import numpy as np

MAX_GAP = 15
"""Default longest run of missing frames (about half a second at 30 fps) that is interpolated."""

MIN_CONFIDENCE = 0.3
"""Default detector confidence below which a joint counts as unreliable."""


def interpolate_short_gaps(
    keypoints: np.ndarray, confidence: np.ndarray, *, max_gap: int = MAX_GAP, min_confidence: float = MIN_CONFIDENCE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rule 1: linearly interpolate each joint across runs of at most `max_gap` unreliable frames.

    keypoints: (T, J, 2) pixels, NaN where missing; confidence: (T, J). Confidence is left as detected, except
    that filled joints that had no detection get the lower confidence of the two frames they were
    interpolated from. Returns (keypoints, confidence, filled (T, J) bool), new arrays.
    """
    keypoints = np.array(keypoints, dtype=np.float32, copy=True)
    confidence = np.array(confidence, dtype=np.float32, copy=True)
    filled = np.zeros(confidence.shape, dtype=bool)
    reliable = np.isfinite(keypoints).all(axis=2) & (confidence >= min_confidence)
    for joint in range(keypoints.shape[1]):
        good = np.flatnonzero(reliable[:, joint])
        for before, after in zip(good[:-1], good[1:], strict=True):
            gap = after - before - 1
            if gap == 0 or gap > max_gap:
                continue
            weights = (np.arange(before + 1, after) - before) / (after - before)
            start, end = keypoints[before, joint], keypoints[after, joint]
            span = slice(before + 1, after)
            was_missing = ~np.isfinite(keypoints[span, joint]).all(axis=1)
            keypoints[span, joint] = start + weights[:, None] * (end - start)
            conf = confidence[span, joint]
            conf[was_missing] = min(confidence[before, joint], confidence[after, joint])
            filled[span, joint] = True
    return keypoints, confidence, filled


def hold_nearest(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rule 2: every missing joint takes its value in the nearest frame where it was seen.

    keypoints: (T, J, 2) pixels, NaN where missing.
    Returns (filled (T, J, 2) float32 with no NaN, missing (T,) bool: frames that had no valid joint at all).
    A joint never seen is placed at the mean of the frame's valid joints.
    Raises ValueError when no frame has any valid joint.
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    valid_joint = np.isfinite(keypoints).all(axis=-1)  # (T, J)
    missing_frames = ~valid_joint.any(axis=1)
    if missing_frames.all():
        raise ValueError("no valid keypoints in any frame")
    filled = keypoints.copy()
    frames = np.arange(len(keypoints))
    for joint in range(keypoints.shape[1]):
        seen = np.flatnonzero(valid_joint[:, joint])
        if len(seen) == 0 or len(seen) == len(frames):
            continue
        if len(seen) > 1:
            pos = np.clip(np.searchsorted(seen, frames), 1, len(seen) - 1)
            left, right = seen[pos - 1], seen[pos]
            nearest = np.where(np.abs(frames - left) <= np.abs(right - frames), left, right)
        else:
            nearest = np.full_like(frames, seen[0])
        gaps = ~valid_joint[:, joint]
        filled[gaps, joint] = keypoints[nearest[gaps], joint]
    still = ~np.isfinite(filled).all(axis=-1)
    if still.any():
        centre = np.nanmean(np.where(still[..., None], np.nan, filled), axis=1)  # (T, 2)
        filled = np.where(still[..., None], centre[:, None, :], filled)
    return filled, missing_frames


def fill_for_lifting(
    keypoints: np.ndarray, confidence: np.ndarray | None = None, *, max_gap: int = MAX_GAP,
    min_confidence: float = MIN_CONFIDENCE,
) -> tuple[np.ndarray, np.ndarray]:
    """Rules 1 and 2: (T, J, 2) pixels with NaN gaps -> (NaN-free (T, J, 2), frames with no joint (T,) bool).

    Without `confidence` every finite joint counts as reliable.
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    if confidence is None:
        confidence = np.isfinite(keypoints).all(axis=-1).astype(np.float32)
    interpolated, _, _ = interpolate_short_gaps(keypoints, confidence, max_gap=max_gap, min_confidence=min_confidence)
    return hold_nearest(interpolated)


def missing_runs(missing: np.ndarray) -> list[tuple[int, int]]:
    """[(first, last)] inclusive frame ranges where `missing` (T,) is True."""
    runs, start = [], None
    for index, flag in enumerate(np.asarray(missing, dtype=bool)):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            runs.append((start, index - 1))
            start = None
    if start is not None:
        runs.append((start, len(missing) - 1))
    return runs
