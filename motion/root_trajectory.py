"""Root trajectory from one camera: where the root-relative 3D pose must be so it projects onto the 2D keypoints.

Per frame, with joints `X_j = t + J_j` (camera frame, metres) and pixels `u_j = f (X_j,x / X_j,z) + c`:
`f t_x - (u_x - c_x) t_z = (u_x - c_x) J_z - f J_x` (and the same for y) is linear in `t`, solved by weighted
least squares (weights: 2D confidence), then refined by a few Gauss-Newton steps on the reprojection error in
pixels and re-solved with robust (Cauchy) weights so a few wrong keypoints do not drag the root. When that
fails (fewer than 3 joints, or a solution behind the camera) the weak-perspective estimate is used: depth
`f * (3D spread) / (2D spread)`, x/y from the 2D centroid.

Unknown focal length: `guess_focal_length` = the larger image side in pixels (a 53-degree field of view across
it; Human3.6M's cameras have about 1.15x the width, phones and webcams 0.7-1x). A wrong focal length scales
depth roughly in proportion and leaves the 2D fit intact.
"""

from __future__ import annotations

import numpy as np

from pstmo.errors import InputError

MIN_JOINTS = 3
GAUSS_NEWTON_STEPS = 3
ROBUST_STEPS = 3
ROBUST_SCALE = 0.1
"""Cauchy scale as a fraction of the 2D body size (bounding-box diagonal): larger residuals are down-weighted."""


def guess_focal_length(image_size: tuple[int, int]) -> float:
    """Focal length in pixels when the camera is unknown: max(width, height)."""
    return float(max(image_size))


def _weak_perspective(joints: np.ndarray, pixels: np.ndarray, weights: np.ndarray, focal: float,
                      centre: np.ndarray) -> np.ndarray:
    w = weights / weights.sum()
    mean_2d = w @ pixels
    mean_3d = w @ joints
    spread_2d = np.sqrt(w @ np.sum((pixels - mean_2d) ** 2, axis=1))
    spread_3d = np.sqrt(w @ np.sum((joints[:, :2] - mean_3d[:2]) ** 2, axis=1))
    depth = focal * spread_3d / max(spread_2d, 1e-6)
    xy = (mean_2d - centre) * depth / focal - mean_3d[:2]
    return np.array([xy[0], xy[1], depth - mean_3d[2]])


def _least_squares(joints: np.ndarray, pixels: np.ndarray, weights: np.ndarray, focal: np.ndarray,
                   centre: np.ndarray) -> np.ndarray:
    offset = pixels - centre  # (J, 2)
    rows = np.zeros((2 * len(joints), 3))
    rhs = np.zeros(2 * len(joints))
    for axis in range(2):
        rows[axis::2, axis] = focal[axis]
        rows[axis::2, 2] = -offset[:, axis]
        rhs[axis::2] = offset[:, axis] * joints[:, 2] - focal[axis] * joints[:, axis]
    sqrt_w = np.repeat(np.sqrt(weights), 2)
    t, *_ = np.linalg.lstsq(rows * sqrt_w[:, None], rhs * sqrt_w, rcond=None)
    for _ in range(GAUSS_NEWTON_STEPS):
        points = joints + t
        if np.any(points[:, 2] <= 1e-3):
            break
        inv_z = 1.0 / points[:, 2]
        residual = (focal * points[:, :2] * inv_z[:, None] + centre - pixels).reshape(-1)
        jacobian = np.zeros((len(joints), 2, 3))
        for axis in range(2):
            jacobian[:, axis, axis] = focal[axis] * inv_z
            jacobian[:, axis, 2] = -focal[axis] * points[:, axis] * inv_z**2
        jacobian = jacobian.reshape(-1, 3) * sqrt_w[:, None]
        step, *_ = np.linalg.lstsq(jacobian, -residual * sqrt_w, rcond=None)
        t = t + step
    return t


def _pixel_residuals(t: np.ndarray, joints: np.ndarray, pixels: np.ndarray, focal: np.ndarray,
                     centre: np.ndarray) -> np.ndarray:
    points = joints + t
    with np.errstate(divide="ignore", invalid="ignore"):
        projected = focal * points[:, :2] / points[:, 2:3] + centre
    return np.linalg.norm(projected - pixels, axis=1)


def _solve_frame(joints: np.ndarray, pixels: np.ndarray, weights: np.ndarray, focal: np.ndarray,
                 centre: np.ndarray) -> np.ndarray:
    """Least squares, then ROBUST_STEPS re-solves with Cauchy weights `1 / (1 + (r / s)^2)` (r: pixel residual,
    s: ROBUST_SCALE x the 2D body size) so a few wild keypoints do not pull the root."""
    t = _least_squares(joints, pixels, weights, focal, centre)
    scale = ROBUST_SCALE * float(np.linalg.norm(np.ptp(pixels, axis=0)))  # pixels: a fraction of the body's size
    for _ in range(ROBUST_STEPS):
        residual = _pixel_residuals(t, joints, pixels, focal, centre)
        if not np.all(np.isfinite(residual)) or scale <= 0:
            break
        t = _least_squares(joints, pixels, weights / (1.0 + (residual / scale) ** 2), focal, centre)
    return t


def estimate_root_trajectory(
    joints_rel: np.ndarray,
    keypoints_2d: np.ndarray,
    image_size: tuple[int, int],
    focal_length_px: float | tuple[float, float] | None = None,
    confidence: np.ndarray | None = None,
    principal_point: tuple[float, float] | None = None,
) -> np.ndarray:
    """(T, 3) camera-frame root translation in metres.

    joints_rel: (T, 17, 3) root-relative joints, camera frame (x right, y down, z forward), metres.
    keypoints_2d: (T, 17, 2) pixels, NaN where missing. image_size: (width, height) pixels.
    focal_length_px: fx or (fx, fy) pixels; None -> `guess_focal_length`. confidence: (T, 17) weights.
    principal_point: pixels; None -> the image centre. Frames without enough joints are interpolated.
    """
    joints_rel = np.asarray(joints_rel, dtype=np.float64)
    keypoints_2d = np.asarray(keypoints_2d, dtype=np.float64)
    if joints_rel.shape[:2] != keypoints_2d.shape[:2] or joints_rel.shape[2:] != (3,) or keypoints_2d.shape[2:] != (2,):
        raise InputError(f"root trajectory: joints {joints_rel.shape} and keypoints {keypoints_2d.shape} do not match")
    focal = guess_focal_length(image_size) if focal_length_px is None else focal_length_px
    focal = np.broadcast_to(np.asarray(focal, dtype=np.float64), (2,)).copy()
    centre = np.array(principal_point if principal_point is not None else (image_size[0] / 2, image_size[1] / 2),
                      dtype=np.float64)
    weights_all = np.ones(keypoints_2d.shape[:2]) if confidence is None else np.asarray(confidence, np.float64)
    frames = len(joints_rel)
    out = np.full((frames, 3), np.nan)
    for i in range(frames):
        valid = np.isfinite(keypoints_2d[i]).all(axis=1) & np.isfinite(joints_rel[i]).all(axis=1)
        valid &= weights_all[i] > 0
        if valid.sum() < MIN_JOINTS:
            continue
        joints, pixels, weights = joints_rel[i, valid], keypoints_2d[i, valid], weights_all[i, valid]
        t = _solve_frame(joints, pixels, weights, focal, centre)
        if not np.all(np.isfinite(t)) or np.any(joints[:, 2] + t[2] <= 0.05):
            t = _weak_perspective(joints, pixels, weights, float(focal.mean()), centre)
        out[i] = t
    known = np.isfinite(out).all(axis=1)
    if not known.any():
        raise InputError("root trajectory: no frame has 3 or more visible joints")
    if not known.all():
        index = np.arange(frames)
        for axis in range(3):
            out[~known, axis] = np.interp(index[~known], index[known], out[known, axis])
    return out
