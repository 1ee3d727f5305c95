"""Rotation helpers on numpy arrays: shortest-arc rotations, frames from two axes, continuous Euler angles.

Rotation matrices are `(..., 3, 3)` and act on column vectors: `v_parent = R @ v_local`.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

EULER_ORDERS = ("ZXY", "ZYX", "XYZ", "XZY", "YXZ", "YZX")
"""BVH channel orders; 'ZXY' means `R = Rz @ Rx @ Ry` (channels listed Z, X, Y)."""

_EPS = 1e-9


def normalize(v: np.ndarray) -> np.ndarray:
    """Unit vectors along the last axis (zero vectors stay zero)."""
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(norm > _EPS, norm, 1.0)


def any_perpendicular(v: np.ndarray) -> np.ndarray:
    """A unit vector perpendicular to each unit vector `v` `(..., 3)`."""
    helper = np.where(np.abs(v[..., :1]) < 0.9, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    return normalize(np.cross(v, helper))


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Shortest-arc rotation taking unit vectors `a` to `b` (broadcast `(..., 3)` -> `(..., 3, 3)`)."""
    a, b = np.broadcast_arrays(normalize(np.asarray(a, float)), normalize(np.asarray(b, float)))
    axis = np.cross(a, b)
    sin = np.linalg.norm(axis, axis=-1)
    cos = np.sum(a * b, axis=-1)
    axis = np.where((sin > 1e-12)[..., None], axis / np.where(sin > 1e-12, sin, 1.0)[..., None], any_perpendicular(a))
    angle = np.arctan2(sin, cos)
    return Rotation.from_rotvec((axis * angle[..., None]).reshape(-1, 3)).as_matrix().reshape(a.shape + (3,))


def frame_from_axes(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Orthonormal frames `(..., 3, 3)` with columns (primary, secondary made perpendicular, primary x secondary)."""
    first = normalize(primary)
    second = normalize(secondary - np.sum(secondary * first, axis=-1, keepdims=True) * first)
    return np.stack([first, second, np.cross(first, second)], axis=-1)


def matrix_to_euler(matrices: np.ndarray, order: str = "ZXY") -> np.ndarray:
    """`(T, ..., 3, 3)` rotations -> `(T, ..., 3)` degrees in channel `order`, continuous over time (axis 0;
    the other leading axes, e.g. joints, are independent curves).

    Each frame picks, of the two equivalent Euler triplets (and their 360-degree shifts), the one closest
    to the previous frame, so curves show no 180/360-degree jumps.
    """
    if order not in EULER_ORDERS:
        raise ValueError(f"unknown Euler order {order!r}; use one of {', '.join(EULER_ORDERS)}")
    matrices = np.asarray(matrices)
    shape = matrices.shape[:-2] + (3,)
    angles = Rotation.from_matrix(matrices.reshape(-1, 3, 3)).as_euler(order, degrees=True)
    angles = angles.reshape(len(matrices), int(np.prod(matrices.shape[1:-2])), 3)
    # The other triplet of the same rotation: first+180, 180-middle, last+180 (for Tait-Bryan orders).
    alternate = np.stack([angles[..., 0] + 180.0, 180.0 - angles[..., 1], angles[..., 2] + 180.0], axis=-1)
    out = np.empty_like(angles)
    previous = angles[0] if len(angles) else angles
    for i in range(len(angles)):  # one step per frame for every curve at once
        first = angles[i] - 360.0 * np.round((angles[i] - previous) / 360.0)
        second = alternate[i] - 360.0 * np.round((alternate[i] - previous) / 360.0)
        take_second = np.sum((second - previous) ** 2, axis=-1) < np.sum((first - previous) ** 2, axis=-1)
        previous = out[i] = np.where(take_second[:, None], second, first)
    if len(out):  # start close to zero: shift the whole curve by multiples of 360 degrees
        out -= 360.0 * np.round(out[0] / 360.0)
    return out.reshape(shape)

