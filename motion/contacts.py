"""Foot contact from ankle height and speed, foot locking (two-bone leg IK), and the foot-skating measure.

All need a world-frame motion (Y or Z up, floor at 0; see `to_world`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .motion import Motion
from .rotations import normalize
from .world import up_axis

ANKLES = (6, 3)  # left, right (the contacts' column order)
LEGS = ((4, 5, 6), (1, 2, 3))  # (hip, knee, ankle), left then right

HEIGHT_MARGIN = 0.06
"""Metres an ankle may be above its standing height (its 10th-percentile height) and count as planted."""
SPEED_THRESHOLD = 0.25
"""Metres per second of horizontal ankle speed below which a low ankle counts as planted."""
MIN_CONTACT_FRAMES = 3
BLEND_FRAMES = 4
"""Frames over which foot locking eases in and out around each contact."""


def _horizontal(axis_up: int) -> list[int]:
    return [axis for axis in range(3) if axis != axis_up]


def ankle_speeds(joints: np.ndarray, fps: float, axis_up: int) -> np.ndarray:
    """(T, 2) horizontal speed of the left and right ankle in m/s (central differences)."""
    ankles = joints[:, list(ANKLES)][..., _horizontal(axis_up)]
    if len(ankles) < 2:
        return np.zeros(ankles.shape[:2])
    return np.linalg.norm(np.gradient(ankles, axis=0), axis=-1) * fps


def _drop_short_runs(mask: np.ndarray, min_length: int) -> np.ndarray:
    out = mask.copy()
    for column in range(mask.shape[1]):
        start = None
        for i, value in enumerate(np.append(mask[:, column], False)):
            if value and start is None:
                start = i
            elif not value and start is not None:
                if i - start < min_length:
                    out[start:i, column] = False
                start = None
    return out


def detect_foot_contacts(motion: Motion, height_margin: float = HEIGHT_MARGIN,
                         speed_threshold: float = SPEED_THRESHOLD) -> np.ndarray:
    """(T, 2) bool, left and right foot planted: ankle within `height_margin` m of its standing height and
    moving slower than `speed_threshold` m/s horizontally; runs shorter than MIN_CONTACT_FRAMES dropped."""
    axis_up = up_axis(motion)
    heights = motion.joints[:, list(ANKLES), axis_up]
    standing = np.nanpercentile(heights, 10, axis=0)
    low = heights < standing + height_margin
    slow = ankle_speeds(motion.joints, motion.fps, axis_up) < speed_threshold
    return _drop_short_runs(low & slow, MIN_CONTACT_FRAMES)


def foot_skating(motion: Motion, contacts: np.ndarray | None = None) -> float:
    """Mean horizontal ankle speed (m/s) over the frames where that foot is in contact (NaN if none)."""
    contacts = detect_foot_contacts(motion) if contacts is None else np.asarray(contacts, dtype=bool)
    speeds = ankle_speeds(motion.joints, motion.fps, up_axis(motion))
    return float(speeds[contacts].mean()) if contacts.any() else float("nan")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0], strict=True))


def two_bone_ik(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray,
                target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New (knee, ankle) `(N, 3)` reaching `target` from a fixed `hip`, bone lengths kept, knee bending the same
    way as before (towards the old knee); unreachable targets are approached along the line."""
    thigh = np.linalg.norm(knee - hip, axis=-1)
    shin = np.linalg.norm(ankle - knee, axis=-1)
    to_target = target - hip
    distance = np.clip(np.linalg.norm(to_target, axis=-1), np.abs(thigh - shin) + 1e-6, thigh + shin - 1e-6)
    direction = normalize(to_target)
    pole = knee - hip
    pole = normalize(pole - np.sum(pole * direction, axis=-1, keepdims=True) * direction)
    cos_hip = np.clip((thigh**2 + distance**2 - shin**2) / (2 * thigh * distance), -1.0, 1.0)
    sin_hip = np.sqrt(1 - cos_hip**2)
    new_knee = hip + thigh[:, None] * (cos_hip[:, None] * direction + sin_hip[:, None] * pole)
    return new_knee, hip + distance[:, None] * direction


def lock_feet(motion: Motion, contacts: np.ndarray | None = None, blend_frames: int = BLEND_FRAMES) -> Motion:
    """The motion with each planted ankle held at its mean horizontal position over the contact (height kept),
    by two-bone IK of the leg (hip fixed); the correction eases in and out over `blend_frames` frames."""
    contacts = detect_foot_contacts(motion) if contacts is None else np.asarray(contacts, dtype=bool)
    axis_up = up_axis(motion)
    horizontal = _horizontal(axis_up)
    joints = motion.joints.copy()
    frames = len(joints)
    for side, (hip, knee, ankle) in enumerate(LEGS):
        offset = np.zeros((frames, 3))
        weight = np.zeros(frames)
        for start, stop in _runs(contacts[:, side]):
            anchor = motion.joints[start:stop, ankle][:, horizontal].mean(axis=0)
            offset[start:stop, horizontal] = anchor - motion.joints[start:stop, ankle][:, horizontal]
            weight[start:stop] = 1.0
            for k in range(1, blend_frames + 1):  # ease out of the anchor on both sides
                fade = 1.0 - k / (blend_frames + 1)
                for i in (start - k, stop - 1 + k):
                    if 0 <= i < frames and fade > weight[i]:
                        offset[i, horizontal] = anchor - motion.joints[i, ankle][horizontal]
                        weight[i] = fade
        moved = weight > 0
        if not moved.any():
            continue
        target = motion.joints[moved, ankle] + weight[moved, None] * offset[moved]
        new_knee, new_ankle = two_bone_ik(joints[moved, hip], joints[moved, knee], joints[moved, ankle], target)
        joints[moved, knee], joints[moved, ankle] = new_knee, new_ankle
    metadata = {**motion.metadata, "foot_lock": True}
    return dataclasses.replace(motion, joints=joints, contacts=contacts, metadata=metadata)
