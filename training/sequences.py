"""One clip of 2D keypoints (and, when labelled, 3D poses): the unit every dataset loader produces."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from pstmo.errors import InputError


@dataclass
class PoseSequence:
    """One camera view of one clip.

    keypoints_2d: (T, 17, 2) pixels, H36M-17 order.
    pose_3d: (T, 17, 3) metres, camera frame, root-relative (pelvis at 0); None for unlabelled 2D tracks.
    image_size: (width, height) pixels. fps: frames per second.
    valid: (T,) bool, frames that count in evaluation (3DHP); None = all.
    pose_world: (T, 17, 3) metres, world frame with z up (absolute, not root-relative): lets training
        re-project the clip from virtual cameras; None where unknown.
    subject / action / camera: names used for splits and per-action averages.
    """

    name: str
    keypoints_2d: np.ndarray
    image_size: tuple[int, int]
    fps: float
    pose_3d: np.ndarray | None = None
    valid: np.ndarray | None = None
    subject: str = ""
    action: str = ""
    camera: str = ""
    pose_world: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keypoints_2d = np.asarray(self.keypoints_2d, dtype=np.float32)
        k = self.keypoints_2d
        if k.ndim != 3 or k.shape[1:] != (17, 2):
            raise InputError(f"{self.name}: 2D keypoints must be (T, 17, 2), got {k.shape}")
        if len(k) == 0:
            raise InputError(f"{self.name}: empty sequence (0 frames)")
        if self.pose_3d is not None:
            self.pose_3d = np.asarray(self.pose_3d, dtype=np.float32)
            if self.pose_3d.shape != (len(k), 17, 3):
                raise InputError(
                    f"{self.name}: 3D poses must be ({len(k)}, 17, 3) to match the 2D, got {self.pose_3d.shape}"
                )
            if not np.isfinite(self.pose_3d).all():
                raise InputError(f"{self.name}: 3D poses contain NaN or infinite values")
        if self.pose_world is not None:
            self.pose_world = np.asarray(self.pose_world, dtype=np.float32)
            if self.pose_world.shape != (len(k), 17, 3):
                raise InputError(f"{self.name}: world poses must be ({len(k)}, 17, 3), got {self.pose_world.shape}")
        if self.valid is not None:
            self.valid = np.asarray(self.valid, dtype=bool).reshape(-1)
            if len(self.valid) != len(k):
                raise InputError(f"{self.name}: 'valid' has {len(self.valid)} frames, the 2D has {len(k)}")
        w, h = self.image_size
        if w <= 0 or h <= 0:
            raise InputError(f"{self.name}: image size must be positive, got {self.image_size}")
        self.image_size = (int(w), int(h))

    def __len__(self) -> int:
        return len(self.keypoints_2d)

    def select(self, frames: slice, **changes) -> PoseSequence:
        """A copy holding only `frames` of every per-frame array (2D, 3D, world poses, `valid`); `changes`
        replace other fields (e.g. `fps` after taking every other frame, `name` of a cut piece)."""
        per_frame = {name: None if value is None else value[frames]
                     for name, value in (("keypoints_2d", self.keypoints_2d), ("pose_3d", self.pose_3d),
                                         ("pose_world", self.pose_world), ("valid", self.valid))}
        return replace(self, **per_frame, **changes)


def root_relative(pose_3d: np.ndarray) -> np.ndarray:
    """(..., 17, 3) -> the same poses with the pelvis (joint 0) moved to the origin."""
    return pose_3d - pose_3d[..., :1, :]
