"""Test helpers for the pipeline and the app: a scripted detector, in-memory frames and tiny checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from detectors.base import Detector, Person, box_from_keypoints

# A standing person in COCO-17 order, pixels relative to the pelvis (x right, y down).
_COCO_STANDING = np.array([
    [0, -160], [-6, -166], [6, -166], [-14, -162], [14, -162],      # nose, eyes, ears
    [-40, -120], [40, -120], [-50, -60], [50, -60], [-55, -5], [55, -5],  # shoulders, elbows, wrists
    [-22, 0], [22, 0], [-24, 85], [24, 85], [-25, 170], [25, 170],  # hips, knees, ankles
], dtype=np.float32) * np.array([-1, 1], dtype=np.float32)  # facing the camera: its left is image right

IMAGE_SIZE = (320, 240)


class ScriptedDetector(Detector):
    """Finds one walking person in every frame that is not all black (the n-th detect call = frame n).

    The person walks right by `speed` px per frame from `start_x`, swinging the arms a little.
    """

    name = "scripted"
    layout = "coco17"

    def __init__(self, start_x: float = 100.0, speed: float = 1.5, scale: float = 0.5) -> None:
        self.start_x, self.speed, self.scale = start_x, speed, scale
        self.calls = 0

    def reset(self) -> None:
        self.calls = 0

    def pose(self, n: int) -> np.ndarray:
        keypoints = _COCO_STANDING * self.scale
        keypoints = keypoints + np.array([self.start_x + self.speed * n, 130], dtype=np.float32)
        swing = 6 * np.sin(n / 4)
        keypoints[[9, 10], 0] += np.float32(swing)
        return keypoints

    def detect(self, image_bgr: np.ndarray) -> list[Person]:
        n = self.calls
        self.calls += 1
        if not image_bgr.any():
            return []
        keypoints = self.pose(n)
        scores = np.full(17, 0.9, dtype=np.float32)
        return [Person(keypoints, scores, box_from_keypoints(keypoints, scores), "coco17", 0.9)]


def frames(count: int, blank: tuple[int, ...] = (), size: tuple[int, int] = IMAGE_SIZE) -> list[np.ndarray]:
    """`count` grey BGR frames; the indices in `blank` are black (nobody there for ScriptedDetector)."""
    w, h = size
    out = []
    for n in range(count):
        image = np.full((h, w, 3), 90, dtype=np.uint8)
        if n in blank:
            image[:] = 0
        out.append(image)
    return out


def tiny_checkpoint(folder: Path, causal: bool = False, frames: int = 9) -> Path:
    """An untrained Stage II P-STMO (2 layers, 32 channels) saved with the project's checkpoint writer."""
    import torch

    from pstmo.checkpoint import save_checkpoint
    from pstmo.config import ModelConfig
    from pstmo.model import PSTMO

    torch.manual_seed(0)
    config = ModelConfig(frames=frames, layers=2, channel=32, d_hid=64, causal=causal)
    name = "tiny_causal" if causal else "tiny_centred"
    return save_checkpoint(Path(folder) / name, PSTMO(config), config, stage=2)


def write_video(path: Path, images: list[np.ndarray], fps: float = 30.0) -> Path:
    """Writes BGR frames as an mp4v video."""
    import cv2

    h, w = images[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for image in images:
        writer.write(image)
    writer.release()
    return path


def video_frames(path: Path, count: int) -> list[np.ndarray]:
    """The first `count` frames of a real video."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    out = []
    while len(out) < count:
        ok, image = capture.read()
        if not ok:
            break
        out.append(image)
    capture.release()
    return out


class TwoPeopleDetector(ScriptedDetector):
    """Two people walking right: A (the n-th call = frame n, every frame not all black) at `start_x` and scale
    0.5, and B further right at `b_x` and `b_scale`, seen only in frames [`b_from`, `b_until`) outside `b_gap`."""

    def __init__(self, b_x: float = 220.0, b_scale: float = 0.4, b_from: int = 5, b_until: int = 35,
                 b_gap: tuple[int, ...] = (), speed: float = 0.5) -> None:
        super().__init__(start_x=80.0, speed=speed, scale=0.5)
        self.b_x, self.b_scale, self.b_from, self.b_until, self.b_gap = b_x, b_scale, b_from, b_until, set(b_gap)

    def detect(self, image_bgr: np.ndarray) -> list[Person]:
        n = self.calls
        people = super().detect(image_bgr)
        if people and self.b_from <= n < self.b_until and n not in self.b_gap:
            keypoints = _COCO_STANDING * self.b_scale + np.array([self.b_x + self.speed * n, 130], dtype=np.float32)
            scores = np.full(17, 0.9, dtype=np.float32)
            people.append(Person(keypoints, scores, box_from_keypoints(keypoints, scores), "coco17", 0.9))
        return people


class FlatLifter:
    """A stand-in lifter that knows people's size: each frame's 2D skeleton, root-relative, scaled so that the
    person is `height_m` tall from head to ankles, at depth 0 (a flat figure facing the camera). With it the
    pipeline's depth and world placement can be checked against the image alone."""

    delay = 0
    receptive_field = 1

    def __init__(self, height_m: float = 1.7) -> None:
        self.height_m = height_m
        self.calls = 0

    def lift(self, keypoints_2d, image_size, confidence=None, flip=True, batch_size=None, progress=None,
             cancel=None, frames=None) -> np.ndarray:
        self.calls += 1
        points = np.asarray(keypoints_2d, dtype=np.float64)
        pixels = points[:, 10, 1:2] - points[:, [3, 6], 1].max(axis=1, keepdims=True)  # head to lower ankle
        relative = (points - points[:, :1]) * (self.height_m / np.abs(pixels))[:, :, None]
        out = np.concatenate([relative, np.zeros(relative.shape[:2] + (1,))], axis=2).astype(np.float32)
        out = out if frames is None else out[np.asarray(frames)]
        if progress is not None:
            progress(len(out), len(out))
        return out

    def lift_sequences(self, sequences, image_size, flip=True, batch_size=None, progress=None,
                       cancel=None) -> list[np.ndarray]:
        """Every sequence in one call (frames are independent here: no padding needed)."""
        joints = self.lift(np.concatenate(sequences), image_size, progress=progress)
        return np.split(joints, np.cumsum([len(s) for s in sequences])[:-1])
