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


def _solve_3x3(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """(F, 3) least-norm solutions of F systems (F, 3, 3) x = (F, 3) (a singular one as `lstsq` would)."""
    return np.einsum("fij,fj->fi", np.linalg.pinv(matrix), vector)


def _least_squares(joints: np.ndarray, pixels: np.ndarray, weights: np.ndarray, focal: np.ndarray,
                   centre: np.ndarray) -> np.ndarray:
    """(F, 3) root translation of F frames at once: weighted linear least squares, then GAUSS_NEWTON_STEPS
    Gauss-Newton steps on the pixel reprojection error (a frame stops when a joint comes within 1 mm of the
    camera plane). joints (F, J, 3) metres, pixels (F, J, 2), weights (F, J) (0: joint not used)."""
    offset = pixels - centre  # (F, J, 2)
    rows = np.zeros(joints.shape[:2] + (2, 3))  # (F, J, axis, 3): one equation per joint and image axis
    for axis in range(2):
        rows[:, :, axis, axis] = focal[axis]
        rows[:, :, axis, 2] = -offset[..., axis]
    rhs = offset * joints[..., 2:3] - focal * joints[..., :2]  # (F, J, 2)
    w = weights[:, :, None]
    t = _solve_3x3(np.einsum("fja,fjak,fjal->fkl", np.broadcast_to(w, rhs.shape), rows, rows),
                   np.einsum("fja,fjak,fja->fk", np.broadcast_to(w, rhs.shape), rows, rhs))
    active = np.ones(len(t), dtype=bool)
    for _ in range(GAUSS_NEWTON_STEPS):
        points = joints + t[:, None, :]
        active &= ~np.any((points[..., 2] <= 1e-3) & (weights > 0), axis=1)
        if not active.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_z = np.where(weights > 0, 1.0 / points[..., 2], 0.0)  # (F, J)
        residual = focal * points[..., :2] * inv_z[..., None] + centre - pixels  # (F, J, 2)
        jacobian = np.zeros(joints.shape[:2] + (2, 3))
        for axis in range(2):
            jacobian[:, :, axis, axis] = focal[axis] * inv_z
            jacobian[:, :, axis, 2] = -focal[axis] * points[..., axis] * inv_z**2
        residual = np.where(weights[..., None] > 0, residual, 0.0)
        wb = np.broadcast_to(w, residual.shape)
        step = _solve_3x3(np.einsum("fja,fjak,fjal->fkl", wb, jacobian, jacobian),
                          -np.einsum("fja,fjak,fja->fk", wb, jacobian, residual))
        t = np.where(active[:, None], t + step, t)
    return t


def _pixel_residuals(t: np.ndarray, joints: np.ndarray, pixels: np.ndarray, focal: np.ndarray,
                     centre: np.ndarray) -> np.ndarray:
    """(F, J) pixel distance between each joint's projection (root at `t`, (F, 3)) and its keypoint."""
    points = joints + t[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        projected = focal * points[..., :2] / points[..., 2:3] + centre
    return np.linalg.norm(projected - pixels, axis=-1)


def _solve_frames(joints: np.ndarray, pixels: np.ndarray, weights: np.ndarray, focal: np.ndarray,
                  centre: np.ndarray) -> np.ndarray:
    """(F, 3): least squares, then ROBUST_STEPS re-solves with Cauchy weights `1 / (1 + (r / s)^2)` (r: pixel
    residual, s: ROBUST_SCALE x the 2D body size) so a few wild keypoints do not pull the root. Joints of weight
    0 take no part (their values must be finite)."""
    t = _least_squares(joints, pixels, weights, focal, centre)
    used = weights > 0
    low = np.where(used[..., None], pixels, np.inf).min(axis=1)
    high = np.where(used[..., None], pixels, -np.inf).max(axis=1)
    scale = ROBUST_SCALE * np.linalg.norm(high - low, axis=1)  # pixels: a fraction of the body's size
    active = scale > 0
    for _ in range(ROBUST_STEPS):
        residual = _pixel_residuals(t, joints, pixels, focal, centre)
        active &= np.all(np.isfinite(residual) | ~used, axis=1)
        if not active.any():
            break
        residual = np.where(used, residual, 0.0)
        robust = weights / (1.0 + (residual / np.where(active, scale, 1.0)[:, None]) ** 2)
        t = np.where(active[:, None], _least_squares(joints, pixels, robust, focal, centre), t)
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
    valid = np.isfinite(keypoints_2d).all(axis=2) & np.isfinite(joints_rel).all(axis=2) & (weights_all > 0)
    solvable = np.flatnonzero(valid.sum(axis=1) >= MIN_JOINTS)
    if len(solvable):
        used = valid[solvable]
        joints = np.where(used[..., None], joints_rel[solvable], 0.0)
        pixels = np.where(used[..., None], keypoints_2d[solvable], 0.0)
        weights = np.where(used, weights_all[solvable], 0.0)
        t = _solve_frames(joints, pixels, weights, focal, centre)
        behind = np.any((joints[..., 2] + t[:, 2:3] <= 0.05) & used, axis=1)
        for n in np.flatnonzero(behind | ~np.isfinite(t).all(axis=1)):
            keep = used[n]
            t[n] = _weak_perspective(joints[n, keep], pixels[n, keep], weights[n, keep], float(focal.mean()), centre)
        out[solvable] = t
    known = np.isfinite(out).all(axis=1)
    if not known.any():
        raise InputError("root trajectory: no frame has 3 or more visible joints")
    if not known.all():
        index = np.arange(frames)
        for axis in range(3):
            out[~known, axis] = np.interp(index[~known], index[known], out[known, axis])
    return out
