"""`Track2D`: the tracker's output and the lifter's input — one person's 2D keypoints over time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pstmo.errors import InputError
from pstmo.skeleton import NUM_JOINTS


@dataclass
class Track2D:
    """One person's H36M-17 keypoints over a video.

    keypoints: (T, 17, 2) float pixels, NaN where the joint is missing.
    confidence: (T, 17) float in [0, 1]; 0 where missing.
    image_size: (width, height) pixels.
    fps: frames per second of the source.
    person_id: tracker identity of this person (None for a single-person detector).
    interpolated: (T,) bool, frames whose keypoints were filled by gap interpolation.
    source / detector: where the frames came from and which 2D backend ran.
    """

    keypoints: np.ndarray
    confidence: np.ndarray
    image_size: tuple[int, int]
    fps: float
    person_id: int | None = None
    interpolated: np.ndarray | None = None
    source: str = ""
    detector: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keypoints = np.asarray(self.keypoints, dtype=np.float32)
        self.confidence = np.asarray(self.confidence, dtype=np.float32)
        if self.keypoints.ndim != 3 or self.keypoints.shape[1:] != (NUM_JOINTS, 2):
            raise InputError(f"Track2D keypoints must be (T, 17, 2); got {self.keypoints.shape}")
        if self.confidence.shape != self.keypoints.shape[:2]:
            raise InputError(
                f"Track2D confidence must be (T, 17) = {self.keypoints.shape[:2]}; got {self.confidence.shape}"
            )
        if self.interpolated is None:
            self.interpolated = np.zeros(len(self.keypoints), dtype=bool)
        self.image_size = (int(self.image_size[0]), int(self.image_size[1]))
        self.fps = float(self.fps)

    def __len__(self) -> int:
        return len(self.keypoints)

    @property
    def missing(self) -> np.ndarray:
        """(T,) bool: frames where every joint is missing (NaN)."""
        return np.isnan(self.keypoints).all(axis=(1, 2))
