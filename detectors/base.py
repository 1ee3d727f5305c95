"""The detector interface every 2D backend implements: BGR frame in -> people out.

A `Person` holds keypoints in the backend's own layout ("blazepose33" or "coco17"); `to_h36m` converts
them to the lifter's H36M-17 layout with `pstmo.skeleton` plus the layout's calibration
(`detectors.calibration`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pstmo import skeleton

LAYOUT_JOINTS: dict[str, tuple[str, ...]] = {
    "blazepose33": skeleton.BLAZEPOSE_JOINTS,
    "coco17": skeleton.COCO_JOINTS,
}
"""Joint names of each backend layout, in order."""


@dataclass
class Person:
    """One detected person in one frame.

    keypoints: (K, 2) float pixels (x right, y down) in the backend's layout.
    scores: (K,) float in [0, 1], per-joint confidence (visibility for BlazePose).
    box: (4,) float pixels, x1 y1 x2 y2.
    layout: "blazepose33" or "coco17".
    score: whole-person confidence in [0, 1].
    extra: backend-specific data (e.g. BlazePose world landmarks in metres, (33, 3)).
    held: 0 when the keypoints were measured in this frame; n when they repeat a measurement from n frames ago
        (a backend that refreshes people outside its focus less often, see `Detector.set_focus`).
    appearance: colour descriptor of the person (`detectors.appearance.describe`), set by the tracking loop
        for re-identification; None when not computed.
    """

    keypoints: np.ndarray
    scores: np.ndarray
    box: np.ndarray
    layout: str
    score: float = 1.0
    extra: dict = field(default_factory=dict)
    held: int = 0
    appearance: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.keypoints = np.asarray(self.keypoints, dtype=np.float32).reshape(-1, 2)
        self.scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        self.box = np.asarray(self.box, dtype=np.float32).reshape(4)
        if self.layout not in LAYOUT_JOINTS:
            raise ValueError(f"unknown keypoint layout {self.layout!r}; known: {sorted(LAYOUT_JOINTS)}")
        expected = len(LAYOUT_JOINTS[self.layout])
        if len(self.keypoints) != expected or len(self.scores) != expected:
            raise ValueError(
                f"{self.layout} person needs {expected} keypoints and scores; "
                f"got {len(self.keypoints)} and {len(self.scores)}"
            )

    @property
    def area(self) -> float:
        """Box area in square pixels."""
        x1, y1, x2, y2 = self.box
        return float(max(x2 - x1, 0.0) * max(y2 - y1, 0.0))


def box_from_keypoints(keypoints: np.ndarray, scores: np.ndarray, min_score: float = 0.3,
                       margin: float = 0.1) -> np.ndarray:
    """(4,) x1 y1 x2 y2 pixels around the keypoints scoring >= `min_score` (all if too few), grown by `margin`
    of its size on each side."""
    points = keypoints[scores >= min_score]
    if len(points) < 2:
        points = keypoints
    x1, y1 = points.min(axis=0)
    x2, y2 = points.max(axis=0)
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    return np.array([x1 - dx, y1 - dy, x2 + dx, y2 + dy], dtype=np.float32)


def to_h36m(person: Person) -> tuple[np.ndarray, np.ndarray]:
    """H36M-17 of one person: ((17, 2) pixels, (17,) confidence in [0, 1]).

    Uses `pstmo.skeleton`'s layout conversion, then the layout's calibration of the joints H36M defines
    differently from a detector (pelvis, hips, spine, thorax, head; see `detectors.calibration`).
    """
    from detectors.calibration import calibrate_h36m

    if person.layout == "blazepose33":
        keypoints = skeleton.blazepose_to_h36m(person.keypoints)
        confidence = skeleton.blazepose_to_h36m(person.scores[:, None])[:, 0]
        coco = person.keypoints[skeleton.BLAZEPOSE_TO_COCO]
    elif person.layout == "coco17":
        keypoints = skeleton.coco_to_h36m(person.keypoints)
        confidence = skeleton.coco_to_h36m(person.scores[:, None])[:, 0]
        coco = person.keypoints
    else:  # pragma: no cover - Person validates its layout
        raise ValueError(person.layout)
    keypoints = calibrate_h36m(keypoints, coco, person.layout)
    return keypoints.astype(np.float32), np.clip(confidence, 0.0, 1.0).astype(np.float32)


class Detector(ABC):
    """A 2D pose backend: `detect(image_bgr)` -> every person found in the frame.

    Subclasses set `name` (e.g. "mediapipe") and `layout` (e.g. "blazepose33"). A detector never raises
    on an unusual frame (empty, tiny, nobody in view): it returns an empty list.
    """

    name: str = ""
    layout: str = ""

    @abstractmethod
    def detect(self, image_bgr: np.ndarray) -> list[Person]:
        """People in one (H, W, 3) BGR uint8 frame, keypoints in pixels of that frame."""

    def reset(self) -> None:
        """Forget any state carried between frames (call before a new video)."""
        return None

    def set_focus(self, boxes: Sequence[np.ndarray] | None) -> None:
        """The people who need fresh keypoints every frame (e.g. the lifted ones), by their last boxes
        (x1 y1 x2 y2 px); None: everyone. A backend may refresh the others less often and report their last
        keypoints in between (`Person.held`); one that measures everyone every frame ignores this."""
        return None

    def close(self) -> None:
        """Free the backend's resources."""
        return None

    def __enter__(self) -> Detector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
