"""Stand-ins for detector tests: synthetic people in COCO-17 layout and a detector that replays them."""

from __future__ import annotations

import numpy as np

from detectors.base import Detector, Person, box_from_keypoints

# A standing person in COCO-17 order, unit height (pixels = this * height), origin at mid-hips.
_STANDING = np.array([
    [0.0, -0.47], [-0.02, -0.49], [0.02, -0.49], [-0.04, -0.48], [0.04, -0.48],
    [0.12, -0.36], [-0.12, -0.36], [0.15, -0.18], [-0.15, -0.18], [0.16, -0.02], [-0.16, -0.02],
    [0.07, 0.0], [-0.07, 0.0], [0.07, 0.25], [-0.07, 0.25], [0.07, 0.5], [-0.07, 0.5],
], dtype=np.float32)


def person_at(x: float, y: float, height: float = 200.0, score: float = 0.9) -> Person:
    """A COCO-17 person with mid-hips at (x, y) pixels and the given height."""
    keypoints = _STANDING * height + np.array([x, y], dtype=np.float32)
    scores = np.full(17, score, dtype=np.float32)
    return Person(keypoints, scores, box_from_keypoints(keypoints, scores), "coco17", score)


class ReplayDetector(Detector):
    """Returns `script[n]` (a list of people) on the n-th call; raises on frames listed in `fail_on`."""

    name = "replay"
    layout = "coco17"

    def __init__(self, script: list[list[Person]], fail_on: tuple[int, ...] = ()) -> None:
        self.script, self.fail_on, self.calls = script, fail_on, 0

    def reset(self) -> None:
        self.calls = 0

    def detect(self, image_bgr: np.ndarray) -> list[Person]:
        n = self.calls
        self.calls += 1
        if n in self.fail_on:
            raise RuntimeError("backend crashed on this frame")
        return self.script[n] if n < len(self.script) else []
