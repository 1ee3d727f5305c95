"""Camera frame -> world frame with Y (or Z) up and the floor at the feet.

Up direction: the plane through the lower ankle of every frame when the person moves over the floor (a plane
fit when the feet cover an area, the camera's up made perpendicular to the walking line when they follow a
line), else the camera's up (-y: a level camera). Floor: `ANKLE_HEIGHT` below a low percentile of the
lowest ankle's height. Horizontal origin: the root at the first frame. X stays the camera's right.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pstmo.errors import InputError

from .motion import Motion
from .rotations import normalize

ANKLE_HEIGHT = 0.05
"""Metres between the floor and the ankle joint of a standing person (H36M's median is about 5 cm)."""
FLOOR_PERCENTILE = 25.0
"""Percentile of the per-frame lowest ankle height taken as standing height (ignores jumps and noise)."""
PLANE_MIN_SPREAD = 0.15
"""Metres (standard deviation) the feet must cover in both floor directions for a plane fit."""
LINE_MIN_SPREAD = 0.3
"""Metres (standard deviation) along one direction for the walking line to constrain the up direction."""
MAX_TILT_DEGREES = 45.0
"""Fitted floor normals further than this from the camera's up are rejected (a bad fit)."""

_ANKLES = (3, 6)


def estimate_up(joints_camera: np.ndarray, root_relative: bool) -> np.ndarray:
    """(3,) unit up direction in the camera frame from `(T, 17, 3)` camera-frame joints (y down)."""
    camera_up = np.array([0.0, -1.0, 0.0])
    if root_relative or len(joints_camera) < 3:
        return camera_up
    ankles = joints_camera[:, list(_ANKLES)]
    lower = ankles[np.arange(len(ankles)), np.argmax(ankles[..., 1], axis=1)]  # largest y = lowest
    centred = lower - lower.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    spread = singular / np.sqrt(len(lower))
    if spread[1] > PLANE_MIN_SPREAD:
        normal = axes[2] * np.sign(axes[2] @ camera_up or 1.0)
        if np.degrees(np.arccos(np.clip(normal @ camera_up, -1, 1))) < MAX_TILT_DEGREES:
            return normal
    if spread[0] > LINE_MIN_SPREAD:
        line = axes[0]
        return normalize(camera_up - (camera_up @ line) * line)
    return camera_up


def _axes_to_frame(frame: str) -> np.ndarray:
    """Rows: world axes expressed in a Y-up basis (X right, Y up, Z towards the camera)."""
    if frame == "world_z_up":
        return np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # (x, y, z)_yup -> (x, -z, y)
    return np.eye(3)


def to_world(motion: Motion, up: str = "y", ankle_height: float = ANKLE_HEIGHT) -> Motion:
    """The motion in a world frame: `up` "y" (Y up) or "z" (Z up), floor at 0, root of frame 0 at the origin.

    Works from the camera frame or from either world frame. The camera-to-world rotation and translation go into
    `metadata["camera_to_world"]` (`X_world = R @ X_camera + t`) when the input was camera-frame.
    Root-relative input stays without a trajectory: the pelvis stays above the origin.
    """
    if up not in ("y", "z"):
        raise InputError(f"up must be 'y' or 'z', got {up!r}")
    target = "world_y_up" if up == "y" else "world_z_up"
    joints = motion.joints
    metadata = dict(motion.metadata)
    if motion.frame == "camera":
        up_dir = estimate_up(joints, motion.root_relative)
        right = normalize(np.array([1.0, 0.0, 0.0]) - up_dir[0] * up_dir)
        rotation = np.stack([right, up_dir, np.cross(right, up_dir)])  # rows: X, Y, Z of the Y-up world
    elif motion.frame == "world_z_up":
        rotation = np.array([[1.0, 0, 0], [0, 0, 1.0], [0, -1.0, 0]])  # (x, y, z)_zup -> (x, z, -y)
    else:
        rotation = np.eye(3)
    y_up = joints @ rotation.T
    finite = np.isfinite(y_up).all(axis=(1, 2))
    if not finite.any():
        raise InputError("to_world: the motion has no finite frame")
    lowest = np.min(y_up[finite][:, list(_ANKLES), 1], axis=1)
    floor = np.percentile(lowest, FLOOR_PERCENTILE) - ankle_height
    origin = np.array([y_up[finite][0, 0, 0], floor, y_up[finite][0, 0, 2]])
    y_up = y_up - origin
    axes = _axes_to_frame(target)
    world = y_up @ axes.T
    if motion.frame == "camera":
        full_rotation = axes @ rotation
        metadata["camera_to_world"] = {"R": full_rotation.tolist(), "t": (-(axes @ origin)).tolist()}
    metadata.setdefault("root_trajectory", "none" if motion.root_relative else "included")
    return dataclasses.replace(motion, joints=world, frame=target, root_relative=False, metadata=metadata)


def up_axis(motion: Motion) -> int:
    """Index of the up axis of a world-frame motion (1 for Y up, 2 for Z up)."""
    if motion.frame == "world_y_up":
        return 1
    if motion.frame == "world_z_up":
        return 2
    raise InputError(f"this step needs a world-frame motion (run to_world first); got frame {motion.frame!r}")
