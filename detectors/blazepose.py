"""BlazePose's two models, driven directly: the person detector (everyone in one pass) and the landmark model.

The mediapipe wheel ships `pose_detection.tflite` (224x224 input, 2,254 SSD anchors) and
`pose_landmark_full.tflite` (256x256 input, 39 landmarks). Here they run through the LiteRT interpreter
(`ai-edge-litert`) with our own pre- and post-processing, written from MediaPipe's published graph settings:

- detector: the frame (or a window of it) letterboxed to 224x224, RGB in [-1, 1]; boxes and 4 keypoints per
  anchor (offsets in input pixels from the anchor centre), sigmoid scores, weighted non-maximum suppression
  (IoU 0.3). Keypoint 0 is the mid-hip centre, keypoint 1 a point whose distance from it is the body's
  radius and whose direction is "up" for the body;
- region of interest (`Roi`): a square centred on the mid-hips, side 2 x radius x 1.25, rotated so the body
  stands upright in the crop;
- landmark model: the ROI cropped (rotated) to 256x256, RGB in [0, 1]; 39 landmarks x (x, y, z, visibility,
  presence) in crop pixels, refined by the 64x64 heatmaps (weighted mean over 7x7 around each landmark
  where the heatmap is confident), then mapped back to the frame. Landmarks 33 and 34 give the next frame's
  ROI (region tracking), the pose-presence output says whether a person is still there.

No Qt, no mediapipe import (only the model files are read from its wheel).
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pstmo.errors import InputError

DETECTOR_SIZE = 224
LANDMARK_SIZE = 256
HEATMAP_SIZE = 64
NUM_LANDMARKS = 33
ROI_SCALE = 1.25
"""The ROI is the body's circle grown by this factor (MediaPipe's margin used in training)."""
NMS_IOU = 0.3
REFINE_KERNEL = 7
REFINE_MIN_CONFIDENCE = 0.5

LITERT_HINT = "install it with `.venv/bin/pip install ai-edge-litert` (pinned in requirements.txt)"


def model_dir() -> Path:
    """Folder of the mediapipe wheel's `modules/` (the models), found without importing mediapipe."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("mediapipe detector: the mediapipe wheel (which ships the BlazePose models) is not "
                         "installed; see requirements-nodeps.txt")
    return Path(list(spec.submodule_search_locations)[0]) / "modules"


def load_interpreter(path: Path, threads: int = 1):
    """A LiteRT interpreter for the model at `path`, tensors allocated, on `threads` CPU threads (XNNPACK)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as error:
        raise InputError(f"mediapipe detector: ai-edge-litert is not installed ({error}); {LITERT_HINT}") from None
    if not path.is_file():
        raise InputError(f"{path}: BlazePose model file not found (mediapipe wheel incomplete?)")
    interpreter = Interpreter(model_path=str(path), num_threads=max(int(threads), 1))
    interpreter.allocate_tensors()
    return interpreter


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))


# ------------------------------------------------------------------------------------------ ROI


@dataclass(frozen=True)
class Roi:
    """A rotated square region of a frame: centre (x, y) pixels, side pixels, rotation radians (clockwise in
    the image, as MediaPipe's rects). The landmark model sees it upright at 256x256."""

    cx: float
    cy: float
    size: float
    rotation: float = 0.0

    @classmethod
    def from_alignment(cls, centre: np.ndarray, scale_point: np.ndarray, scale: float = ROI_SCALE) -> Roi:
        """The ROI of a body whose mid-hip centre is `centre` and whose radius point is `scale_point` (pixels):
        side = 2 x radius x `scale`, turned so the centre -> scale point direction points up."""
        dx, dy = float(scale_point[0] - centre[0]), float(scale_point[1] - centre[1])
        rotation = math.pi / 2 - math.atan2(-dy, dx)
        rotation = (rotation + math.pi) % (2 * math.pi) - math.pi
        return cls(float(centre[0]), float(centre[1]), 2.0 * math.hypot(dx, dy) * scale, rotation)

    def crop_to_image(self, out_size: int) -> np.ndarray:
        """(2, 3) affine taking pixel (u, v) of the `out_size` crop to frame pixels."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        k = self.size / out_size
        linear = np.array([[c * k, -s * k], [s * k, c * k]])
        offset = np.array([self.cx, self.cy]) - linear @ np.array([out_size / 2, out_size / 2])
        return np.hstack([linear, offset[:, None]])

    @property
    def box(self) -> np.ndarray:
        """(4,) x1 y1 x2 y2: the axis-aligned box around the rotated square."""
        c, s = abs(math.cos(self.rotation)), abs(math.sin(self.rotation))
        half = self.size * (c + s) / 2
        return np.array([self.cx - half, self.cy - half, self.cx + half, self.cy + half], dtype=np.float32)


def crop(image_bgr: np.ndarray, roi: Roi, out_size: int, border: int = cv2.BORDER_REPLICATE) -> np.ndarray:
    """The ROI of a BGR frame as an upright (out_size, out_size, 3) BGR crop."""
    return cv2.warpAffine(image_bgr, roi.crop_to_image(out_size), (out_size, out_size),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=border)


def to_image(points: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """(N, 2) points through a (2, 3) affine."""
    return points @ affine[:, :2].T + affine[:, 2]


# ------------------------------------------------------------------------------------- detector


@dataclass
class Detection:
    """One person found by the detector: score in [0, 1], face box (4,) and keypoints (4, 2) in frame pixels,
    and the ROI the landmark model should look at."""

    score: float
    box: np.ndarray
    keypoints: np.ndarray
    roi: Roi


def ssd_anchor_centres(size: int = DETECTOR_SIZE, strides: tuple[int, ...] = (8, 16, 32, 32, 32)) -> np.ndarray:
    """(A, 2) anchor centres in [0, 1] of BlazePose's detector: 2 anchors per cell and layer, layers of the
    same stride sharing their grid (224: 28x28x2 + 14x14x2 + 7x7x6 = 2,254). All anchors are unit-sized."""
    centres = []
    layer = 0
    while layer < len(strides):
        stride = strides[layer]
        repeats = 0
        while layer < len(strides) and strides[layer] == stride:
            repeats += 2  # one aspect ratio (1.0) + the interpolated scale
            layer += 1
        cells = math.ceil(size / stride)
        ys, xs = np.meshgrid((np.arange(cells) + 0.5) / cells, (np.arange(cells) + 0.5) / cells, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(grid, repeats, axis=0))
    return np.concatenate(centres).astype(np.float32)


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, values: np.ndarray, iou: float = NMS_IOU
                 ) -> list[tuple[float, np.ndarray]]:
    """Weighted non-maximum suppression: the best remaining box takes every box overlapping it by more than
    `iou` and becomes their score-weighted mean. boxes (N, 4) x1 y1 x2 y2; values (N, V) averaged the same way
    (box and keypoints). Returns [(score, mean values)] best first."""
    order = np.argsort(-scores)
    boxes, scores, values = boxes[order], scores[order], values[order]
    remaining = np.ones(len(scores), dtype=bool)
    out = []
    areas = np.maximum(boxes[:, 2] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 1], 0)
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        x1 = np.maximum(boxes[i, 0], boxes[:, 0])
        y1 = np.maximum(boxes[i, 1], boxes[:, 1])
        x2 = np.minimum(boxes[i, 2], boxes[:, 2])
        y2 = np.minimum(boxes[i, 3], boxes[:, 3])
        inter = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
        overlap = inter / np.maximum(areas[i] + areas - inter, 1e-9)
        group = remaining & (overlap > iou)
        group[i] = True
        weights = scores[group]
        out.append((float(scores[i]), (values[group] * weights[:, None]).sum(0) / weights.sum()))
        remaining &= ~group
    return out


class PersonDetectorModel:
    """BlazePose's person detector: `detect(image_bgr, window)` -> every person found, one model run.

    min_score: detections scoring below this are dropped (MediaPipe's min_detection_confidence).
    """

    def __init__(self, min_score: float = 0.5, threads: int = 1) -> None:
        self.min_score = float(min_score)
        self.interpreter = load_interpreter(model_dir() / "pose_detection" / "pose_detection.tflite", threads)
        self._input = self.interpreter.get_input_details()[0]["index"]
        outputs = {d["name"]: d["index"] for d in self.interpreter.get_output_details()}
        self._boxes, self._scores = outputs["Identity"], outputs["Identity_1"]
        self.anchors = ssd_anchor_centres()

    def detect(self, image_bgr: np.ndarray, window: tuple[int, int, int, int] | None = None) -> list[Detection]:
        """People in `window` (x1, y1, x2, y2 pixels; None: the whole frame), best first, in frame pixels."""
        height, width = image_bgr.shape[:2]
        x1, y1, x2, y2 = window if window is not None else (0, 0, width, height)
        scale = DETECTOR_SIZE / max(x2 - x1, y2 - y1)
        tx = (DETECTOR_SIZE - (x2 - x1) * scale) / 2 - x1 * scale
        ty = (DETECTOR_SIZE - (y2 - y1) * scale) / 2 - y1 * scale
        affine = np.array([[scale, 0.0, tx], [0.0, scale, ty]])
        view = cv2.warpAffine(image_bgr, affine, (DETECTOR_SIZE, DETECTOR_SIZE), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        tensor = cv2.cvtColor(view, cv2.COLOR_BGR2RGB).astype(np.float32) * (2.0 / 255.0) - 1.0
        self.interpreter.set_tensor(self._input, tensor[None])
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self._boxes)[0]
        scores = _sigmoid(self.interpreter.get_tensor(self._scores)[0, :, 0])
        keep = scores >= self.min_score
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep], scores[keep], self.anchors[keep] * DETECTOR_SIZE
        centre = raw[:, 0:2] + anchors
        half = raw[:, 2:4] / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        points = raw[:, 4:12].reshape(-1, 4, 2) + anchors[:, None, :]
        values = np.concatenate([boxes, points.reshape(-1, 8)], axis=1)
        people = []
        for score, mean in weighted_nms(boxes, scores, values):
            box = np.concatenate([(mean[0:2] - [tx, ty]) / scale, (mean[2:4] - [tx, ty]) / scale])
            keypoints = (mean[4:12].reshape(4, 2) - [tx, ty]) / scale
            people.append(Detection(score, box.astype(np.float32), keypoints.astype(np.float32),
                                    Roi.from_alignment(keypoints[0], keypoints[1])))
        return people

    def close(self) -> None:
        self.interpreter = None


# ------------------------------------------------------------------------------------ landmarks


@dataclass
class Landmarks:
    """The landmark model's answer for one ROI, in frame pixels.

    keypoints: (33, 2) pixels; visibility, presence: (33,) in [0, 1]; world: (33, 3) metres (hip-centred);
    score: pose presence in [0, 1]; next_roi: the ROI to look at in the next frame (region tracking).
    """

    keypoints: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world: np.ndarray
    score: float
    next_roi: Roi


def refine_from_heatmap(points: np.ndarray, heatmap: np.ndarray, kernel: int = REFINE_KERNEL,
                        min_confidence: float = REFINE_MIN_CONFIDENCE) -> np.ndarray:
    """(N, 2) landmark positions normalised to [0, 1] in the crop, refined by (H, W, N) heatmap logits: each
    becomes the sigmoid-weighted mean cell of the kernel x kernel window around it, where that window's best
    cell reaches `min_confidence` (cells count from 0, as MediaPipe's refinement)."""
    rows_n, cols_n, count = heatmap.shape
    col = np.floor(points[:, 0] * cols_n).astype(int)
    row = np.floor(points[:, 1] * rows_n).astype(int)
    inside = (col >= 0) & (col < cols_n) & (row >= 0) & (row < rows_n)
    half = (kernel - 1) // 2
    offsets = np.arange(-half, half + 1)
    rr = np.clip(row, 0, rows_n - 1)[:, None] + offsets  # (N, k) window rows, may fall off the map
    cc = np.clip(col, 0, cols_n - 1)[:, None] + offsets
    valid = ((rr >= 0) & (rr < rows_n))[:, :, None] & ((cc >= 0) & (cc < cols_n))[:, None, :]
    logits = heatmap[np.clip(rr, 0, rows_n - 1)[:, :, None], np.clip(cc, 0, cols_n - 1)[:, None, :],
                     np.arange(count)[:, None, None]]
    window = np.where(valid, _sigmoid(logits), 0.0)  # (N, k, k); no weight off the map
    total = window.sum(axis=(1, 2))
    refine = inside & (window.max(axis=(1, 2)) >= min_confidence) & (total > 0)
    mean_c = (window.sum(axis=1) * cc).sum(axis=1) / np.maximum(total, 1e-9)
    mean_r = (window.sum(axis=2) * rr).sum(axis=1) / np.maximum(total, 1e-9)
    out = points.copy()
    out[refine, 0] = mean_c[refine] / cols_n
    out[refine, 1] = mean_r[refine] / rows_n
    return out


class LandmarkModel:
    """BlazePose full's landmark model: `run(image_bgr, roi)` -> `Landmarks` (33 points) for one person."""

    def __init__(self, threads: int = 1, variant: str = "full") -> None:
        path = model_dir() / "pose_landmark" / f"pose_landmark_{variant}.tflite"
        self.interpreter = load_interpreter(path, threads)
        self._input = self.interpreter.get_input_details()[0]["index"]
        outputs = {d["name"]: d["index"] for d in self.interpreter.get_output_details()}
        self._landmarks, self._flag = outputs["Identity"], outputs["Identity_1"]
        self._heatmap, self._world = outputs["Identity_3"], outputs["Identity_4"]

    def run(self, image_bgr: np.ndarray, roi: Roi) -> Landmarks:
        rgb = cv2.cvtColor(crop(image_bgr, roi, LANDMARK_SIZE), cv2.COLOR_BGR2RGB)
        tensor = self.interpreter.tensor(self._input)()  # the model's own input buffer (no copy): let go of it
        np.multiply(rgb, np.float32(1.0 / 255.0), out=tensor[0], casting="unsafe")  # before invoke()
        del tensor
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self._landmarks).reshape(-1, 5)
        score = float(np.asarray(self.interpreter.get_tensor(self._flag)).reshape(-1)[0])
        world = self.interpreter.get_tensor(self._world).reshape(-1, 3)[:NUM_LANDMARKS]
        heatmap = self.interpreter.tensor(self._heatmap)()[0]  # read in place (640 KB), let go before the next run
        points = refine_from_heatmap(raw[:, :2] / LANDMARK_SIZE, heatmap) * LANDMARK_SIZE
        del heatmap
        frame_points = to_image(points, roi.crop_to_image(LANDMARK_SIZE)).astype(np.float32)
        next_roi = Roi.from_alignment(frame_points[33], frame_points[34])
        return Landmarks(keypoints=frame_points[:NUM_LANDMARKS], visibility=_sigmoid(raw[:NUM_LANDMARKS, 3]),
                         presence=_sigmoid(raw[:NUM_LANDMARKS, 4]), world=world.astype(np.float32),
                         score=score, next_roi=next_roi)

    def close(self) -> None:
        self.interpreter = None
