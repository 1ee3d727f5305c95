"""Cameras: world <-> camera frame, projection to pixels (H36M's distortion model).

Conventions (those of `../shared/data/h36m/h36m_cameras.json` and VideoPose3D):
- `R` (3, 3) rotates world into camera axes and `T` (3,) is the camera centre in world metres, so
  `X_cam = R @ (X_world - T)` and `X_world = R.T @ X_cam + T`.
- Camera frame: x right, y down, z forward (depth), metres.
- Projection with distortion: `x = X / Z`, `r2 = |x|^2`,
  `x_d = x * (1 + k1 r2 + k2 r2^2 + k3 r2^3 + p . x) + p * r2`, `u = f * x_d + c` (pixels).
- Screen normalisation of the pixels (the model's 2D input convention) lives in `pstmo.transforms`.

Every function takes any leading shape: one point `(3,)`, a pose `(17, 3)`, a track `(T, 17, 3)`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pstmo.errors import InputError


@dataclass
class Camera:
    """One calibrated camera. Units: `T` metres (world), `f` and `c` pixels, `res_w`/`res_h` pixels."""

    id: str
    R: np.ndarray  # (3, 3) world -> camera rotation
    T: np.ndarray  # (3,) camera centre in world metres
    f: np.ndarray  # (2,) focal lengths fx, fy in pixels
    c: np.ndarray  # (2,) principal point cx, cy in pixels
    k: np.ndarray = field(default_factory=lambda: np.zeros(3))  # (3,) radial distortion k1, k2, k3
    p: np.ndarray = field(default_factory=lambda: np.zeros(2))  # (2,) tangential distortion p1, p2
    res_w: int = 0
    res_h: int = 0

    def __post_init__(self) -> None:
        self.id = str(self.id)
        shapes = {"R": (3, 3), "T": (3,), "f": (2,), "c": (2,), "k": (3,), "p": (2,)}
        for name, shape in shapes.items():
            value = np.asarray(getattr(self, name), dtype=np.float64)
            if value.shape != shape:
                raise ValueError(f"camera {self.id}: {name} must have shape {shape}, got {value.shape}")
            setattr(self, name, value)
        self.res_w = int(self.res_w)
        self.res_h = int(self.res_h)


def load_h36m_cameras(path: str | Path) -> dict[str, list[Camera]]:
    """Read `h36m_cameras.json`: subject ('S1', ...) -> its 4 cameras, in the file's order."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: camera file not found") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{path}: not a readable camera JSON file ({exc})") from None
    subjects = data.get("cameras") if isinstance(data, dict) else None
    if not isinstance(subjects, dict):
        raise InputError(f"{path}: no 'cameras' object (subject -> list of cameras)")
    out: dict[str, list[Camera]] = {}
    for subject, cameras in subjects.items():
        try:
            out[subject] = [
                Camera(
                    id=cam["id"], R=cam["R"], T=cam["T"], f=cam["f"], c=cam["c"], k=cam["k"], p=cam["p"],
                    res_w=cam["res_w"], res_h=cam["res_h"],
                )
                for cam in cameras
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}: camera of subject {subject} is malformed ({exc!r})") from exc
    return out


def _check_points(X: np.ndarray, dims: int, what: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim < 1 or X.shape[-1] != dims:
        raise ValueError(f"{what} must have shape (..., {dims}); got {X.shape}")
    return X


def world_to_camera(X: np.ndarray, camera: Camera) -> np.ndarray:
    """World points `(..., 3)` metres -> camera frame `(..., 3)` metres: `R @ (X - T)`."""
    X = _check_points(X, 3, "world points")
    return (X - camera.T) @ camera.R.T


def camera_to_world(X: np.ndarray, camera: Camera) -> np.ndarray:
    """Camera-frame points `(..., 3)` metres -> world `(..., 3)` metres: `R.T @ X + T`."""
    X = _check_points(X, 3, "camera points")
    return X @ camera.R + camera.T


def project_to_2d(X_cam: np.ndarray, camera: Camera) -> np.ndarray:
    """Camera-frame points `(..., 3)` metres -> pixels `(..., 2)` with radial + tangential distortion."""
    X_cam = _check_points(X_cam, 3, "camera points")
    xy = X_cam[..., :2] / X_cam[..., 2:3]
    r2 = np.sum(xy**2, axis=-1, keepdims=True)
    k1, k2, k3 = camera.k
    radial = 1.0 + k1 * r2 + k2 * r2**2 + k3 * r2**3
    tangential = np.sum(camera.p * xy, axis=-1, keepdims=True)
    distorted = xy * (radial + tangential) + camera.p * r2
    return camera.f * distorted + camera.c


def project_to_2d_linear(X_cam: np.ndarray, camera: Camera) -> np.ndarray:
    """Camera-frame points `(..., 3)` metres -> pixels `(..., 2)`, pinhole only (no distortion)."""
    X_cam = _check_points(X_cam, 3, "camera points")
    return camera.f * (X_cam[..., :2] / X_cam[..., 2:3]) + camera.c
