"""A person's appearance as colour histograms (clothes), to recognise someone who left the frame and came back.

`describe(image_bgr, box)` -> (2 x HUE_BINS x SAT_BINS,) float32: hue-saturation histograms of the upper body
(20-55 % of the box height, middle 60 % of its width) and the legs (55-90 %), each normalised to sum 1.
`similarity(a, b)` -> Bhattacharyya coefficient in [0, 1] (1: the same colours in the same proportions).

Colour alone cannot tell two people in similar clothes apart (in the backlit sports2d demo it does not), so
the tracker only uses it together with size, position and time away (`detectors.tracker`).
"""

from __future__ import annotations

import cv2
import numpy as np

HUE_BINS = 12
SAT_BINS = 4
SIZE = 2 * HUE_BINS * SAT_BINS
"""Length of a descriptor."""


def describe(image_bgr: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """Appearance of the person in `box` (x1 y1 x2 y2 px) of a BGR frame; None when the box is too small
    (under 16 px high or 4 px wide inside the frame)."""
    height, width = image_bgr.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    bw, bh = x2 - x1, y2 - y1
    if bh < 16 or bw < 4:
        return None
    parts = []
    for top, bottom in ((0.20, 0.55), (0.55, 0.90)):
        ax1, ax2 = int(max(x1 + 0.2 * bw, 0)), int(min(x2 - 0.2 * bw, width))
        ay1, ay2 = int(max(y1 + top * bh, 0)), int(min(y1 + bottom * bh, height))
        if ax2 - ax1 < 2 or ay2 - ay1 < 2:
            return None
        patch = image_bgr[ay1:ay2, ax1:ax2]
        step = max(1, int(max(patch.shape[:2]) // 48))  # about 48 px is plenty for a histogram
        hsv = cv2.cvtColor(np.ascontiguousarray(patch[::step, ::step]), cv2.COLOR_BGR2HSV)
        mask = (hsv[:, :, 2] > 30).astype(np.uint8)  # hue means nothing in the dark
        hist = cv2.calcHist([hsv], [0, 1], mask, [HUE_BINS, SAT_BINS], [0, 180, 0, 256]).ravel()
        total = hist.sum()
        parts.append(hist / total if total > 0 else np.full(hist.shape, 1.0 / hist.size))
    return np.concatenate(parts).astype(np.float32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Mean Bhattacharyya coefficient of the two parts' histograms, in [0, 1]."""
    half = len(a) // 2
    upper = float(np.sqrt(a[:half] * b[:half]).sum())
    lower = float(np.sqrt(a[half:] * b[half:]).sum())
    return (upper + lower) / 2


def blend(old: np.ndarray | None, new: np.ndarray | None, weight: float = 0.1) -> np.ndarray | None:
    """Running appearance of a track: `new` mixed into `old` with `weight`."""
    if new is None:
        return old
    if old is None:
        return new
    return ((1 - weight) * old + weight * new).astype(np.float32)
