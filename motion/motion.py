"""`Motion`: 3D poses over time with their coordinate frame and metadata — what exporters write."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from pstmo.errors import InputError
from pstmo.skeleton import NUM_JOINTS

FRAMES = ("camera", "world_y_up", "world_z_up")
"""Coordinate frames: `camera` (x right, y down, z forward, metres), `world_y_up` (Y up, floor at
y=0), `world_z_up` (Z up, floor at z=0)."""


@dataclass
class Motion:
    """3D H36M-17 joints over time.

    joints: (T, 17, 3) metres in `frame`; root-relative when `root_relative`, else with the root
        trajectory included.
    fps: frames per second.
    frame: one of FRAMES.
    confidence: optional (T, 17) per-joint confidence from the 2D detector.
    contacts: optional (T, 2) bool foot contacts (left, right).
    metadata: source video, detector, model checkpoint, image size, ...
    """

    joints: np.ndarray
    fps: float
    frame: str = "camera"
    root_relative: bool = True
    confidence: np.ndarray | None = None
    contacts: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.joints = np.asarray(self.joints, dtype=np.float64)
        if self.joints.ndim != 3 or self.joints.shape[1:] != (NUM_JOINTS, 3):
            raise InputError(f"Motion joints must be (T, 17, 3); got {self.joints.shape}")
        if self.frame not in FRAMES:
            raise InputError(f"unknown coordinate frame {self.frame!r}; use one of {', '.join(FRAMES)}")
        if self.fps <= 0:
            raise InputError(f"fps must be positive, got {self.fps}")

    def __len__(self) -> int:
        return len(self.joints)

    def seen_part(self) -> Motion:
        """This motion cut to the frames from the first to the last one where the person was detected, by
        `metadata["missing_frames"]` (video frames) and `metadata["first_frame"]` (the video frame of frame 0),
        both updated; itself when it lists no missing frames or was never seen."""
        first_frame = int(self.metadata.get("first_frame") or 0)
        missing = np.zeros(len(self), dtype=bool)
        listed = np.asarray(self.metadata.get("missing_frames") or [], dtype=np.int64) - first_frame
        missing[listed[(listed >= 0) & (listed < len(self))]] = True
        seen = np.flatnonzero(~missing)
        if not missing.any() or not len(seen):
            return self
        keep = slice(int(seen[0]), int(seen[-1]) + 1)
        metadata = dict(self.metadata)
        metadata["first_frame"] = first_frame + keep.start
        metadata["missing_frames"] = (first_frame + keep.start + np.flatnonzero(missing[keep])).tolist()
        return replace(self, joints=self.joints[keep],
                       confidence=None if self.confidence is None else self.confidence[keep],
                       contacts=None if self.contacts is None else self.contacts[keep], metadata=metadata)
