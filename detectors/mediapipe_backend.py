"""MediaPipe BlazePose (full model, offline) as a multi-person detector.

The legacy `mediapipe.solutions.pose` graph finds one person per call. To get everyone in view, the
detector keeps one graph per person and blanks out each person found before the next graph looks at the
frame (see `MediaPipeDetector`). Only the models inside the mediapipe 0.10.14-0.10.21 wheel are used
(`pose_detection.tflite`, `pose_landmark_full.tflite`), so it works with no network.
"""

from __future__ import annotations

import numpy as np

from detectors.base import Detector, Person, box_from_keypoints
from pstmo.errors import InputError

INSTALL_HINT = (
    "install it with `.venv/bin/pip install --no-deps mediapipe==0.10.21` "
    "(plus absl-py, attrs, flatbuffers, protobuf<5; see requirements-nodeps.txt)"
)


def _import_pose_solution():
    try:
        from mediapipe.python.solutions import pose as mp_pose
    except ImportError as error:
        raise InputError(f"mediapipe detector: mediapipe is not installed ({error}); {INSTALL_HINT}") from None
    return mp_pose


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection of two x1 y1 x2 y2 boxes over the smaller one's area (1 when one contains the other)."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(x2 - x1, 0.0) * max(y2 - y1, 0.0)
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(inter / smaller) if smaller > 0 else 0.0


class MediaPipeDetector(Detector):
    """BlazePose full (33 landmarks) on every person found in the frame.

    Several people: one MediaPipe pose graph per person slot (up to `max_people`). Each frame:
    1. slots already following someone run first, in video mode (the graph tracks its person's region
       from the previous frame, far more robust than re-detecting, e.g. against backlight); a slot whose
       person is small looks only at a window around them (a magnified view), others at the whole frame;
    2. every person found is blanked out of the frame the later slots see;
    3. idle slots look for new people in what is left of the whole frame, until one finds nobody (every
       `search_every` frames while someone is followed; every frame when nobody is or someone was lost);
    4. every `discover_every` frames (and on the first), idle slots also search overlapping square tiles
       of the frame, which finds people too small for the detector's 224 px view of the whole frame.
    `video_mode=False` runs the graphs in static-image mode (independent images, no region tracking).

    max_people: most people per frame (each costs one model run per frame).
    min_detection_confidence / min_tracking_confidence: MediaPipe's thresholds in [0, 1].
    min_box_height: people whose box is shorter than this many pixels are dropped (too small to trust).
    mask_margin: fraction of a found person's box size added on each side before blanking it out.
    max_overlap: a person whose box overlaps an already found one by more than this fraction of the smaller
        box is dropped as a duplicate.
    discover_every: frames between tile searches for small people (0: never).
    search_every: frames between whole-frame searches for new people while someone is followed (1: every
        frame). A newcomer is found at most this many frames late; each skipped search saves a model run.
    """

    name = "mediapipe"
    layout = "blazepose33"

    def __init__(self, max_people: int = 4, video_mode: bool = True, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, min_box_height: float = 24.0,
                 mask_margin: float = 0.1, max_overlap: float = 0.6, discover_every: int = 10,
                 search_every: int = 2) -> None:
        if int(max_people) < 1:
            raise InputError(f"mediapipe detector: max_people must be >= 1; got {max_people}")
        self.max_people = int(max_people)
        self.min_box_height = float(min_box_height)
        self.mask_margin = float(mask_margin)
        self.max_overlap = float(max_overlap)
        self.discover_every = int(discover_every)
        self.search_every = int(search_every)
        self._mp_pose = _import_pose_solution()
        self._options = dict(
            static_image_mode=not video_mode, model_complexity=1, smooth_landmarks=False,
            enable_segmentation=False, min_detection_confidence=float(min_detection_confidence),
            min_tracking_confidence=float(min_tracking_confidence),
        )
        self._slots: list = [None] * self.max_people
        self._following = [False] * self.max_people
        self._windows: list[tuple[int, int, int, int] | None] = [None] * self.max_people
        self._frame = 0
        self._closed = False
        self._slot(0)  # fail early if the graph cannot be built

    def _slot(self, index: int):
        if self._slots[index] is None:
            self._slots[index] = self._mp_pose.Pose(**self._options)
        return self._slots[index]

    def _drop_slot(self, index: int) -> None:
        if self._slots[index] is not None:
            self._slots[index].close()
            self._slots[index] = None
        self._following[index] = False
        self._windows[index] = None

    def reset(self) -> None:
        """Start a new video: forget everyone being followed."""
        for index in range(self.max_people):
            if self._following[index] or index > 0:
                self._drop_slot(index)
        self._windows = [None] * self.max_people
        self._frame = 0

    def close(self) -> None:
        for index in range(self.max_people):
            self._drop_slot(index)
        self._closed = True

    def detect(self, image_bgr: np.ndarray) -> list[Person]:
        if self._closed:
            raise RuntimeError("mediapipe detector: used after close()")
        image = np.asarray(image_bgr)
        if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 8:
            return []
        rgb = np.ascontiguousarray(image[:, :, ::-1], dtype=np.uint8)
        people: list[Person] = []
        lost = False
        for index in [i for i in range(self.max_people) if self._following[i]]:
            person = self._run(index, rgb, self._windows[index], people)
            if person is None:
                self._following[index] = False
                self._windows[index] = None
                lost = True
        search = lost or not people or self.search_every <= 1 or self._frame % self.search_every == 0
        while search and len(people) < self.max_people:  # new people in the whole frame
            index = self._idle_slot()
            if index is None or self._run(index, rgb, None, people) is None:
                break
        if self.discover_every > 0 and self._frame % self.discover_every == 0:
            for window in _tiles(rgb.shape[1], rgb.shape[0]):
                index = self._idle_slot()
                if index is None or len(people) >= self.max_people:
                    break
                self._run(index, rgb, window, people)
        self._frame += 1
        return people

    def _idle_slot(self) -> int | None:
        return next((i for i in range(self.max_people) if not self._following[i]), None)

    def _run(self, index: int, rgb: np.ndarray, window, people: list[Person]) -> Person | None:
        """Run slot `index` on `window` of `rgb` (None: whole frame); a new person is appended to `people`,
        blanked out of `rgb`, and followed by the slot from the next frame on."""
        height, width = rgb.shape[:2]
        x1, y1, x2, y2 = window if window is not None else (0, 0, width, height)
        result = self._slot(index).process(np.ascontiguousarray(rgb[y1:y2, x1:x2]))
        if result.pose_landmarks is None:
            return None
        person = self._person_from(result, (x1, y1), (x2 - x1, y2 - y1), (width, height))
        if any(_overlap(person.box, other.box) > self.max_overlap for other in people):
            self._drop_slot(index)  # mostly someone already found (or a box around them): not a new person
            return None
        self._following[index] = True
        self._windows[index] = _next_window(window, person.box, width, height)
        if person.box[3] - person.box[1] >= self.min_box_height:
            people.append(person)
        self._blank(rgb, person.box)
        return person

    def _person_from(self, result, offset: tuple[int, int], view: tuple[int, int], frame: tuple[int, int]
                     ) -> Person:
        """Person from MediaPipe's normalised landmarks of a `view` (w, h) placed at `offset` in the frame."""
        landmarks = result.pose_landmarks.landmark
        (ox, oy), (vw, vh), (width, height) = offset, view, frame
        keypoints = np.array([[ox + lm.x * vw, oy + lm.y * vh] for lm in landmarks], dtype=np.float32)
        scores = np.array([lm.visibility for lm in landmarks], dtype=np.float32)
        extra = {}
        if result.pose_world_landmarks is not None:
            extra["world_landmarks"] = np.array(
                [[lm.x, lm.y, lm.z] for lm in result.pose_world_landmarks.landmark], dtype=np.float32
            )
        # Landmarks outside the frame are extrapolated by the model: never trust them more than a guess.
        outside = (keypoints[:, 0] < 0) | (keypoints[:, 0] >= width) | (keypoints[:, 1] < 0) | (
            keypoints[:, 1] >= height)
        scores = np.where(outside, np.minimum(scores, 0.1), scores)
        box = box_from_keypoints(keypoints, scores, margin=0.08)
        box = np.clip(box, 0, [width, height, width, height]).astype(np.float32)
        seen = scores >= 0.5
        score = float(scores[seen].mean()) if seen.any() else float(scores.mean())
        return Person(keypoints=keypoints, scores=scores, box=box, layout=self.layout, score=score, extra=extra)

    def _blank(self, rgb: np.ndarray, box: np.ndarray) -> None:
        height, width = rgb.shape[:2]
        x1, y1, x2, y2 = box
        dx, dy = (x2 - x1) * self.mask_margin, (y2 - y1) * self.mask_margin
        x1, x2 = int(max(x1 - dx, 0)), int(min(x2 + dx, width))
        y1, y2 = int(max(y1 - dy, 0)), int(min(y2 + dy, height))
        rgb[y1:y2, x1:x2] = 0


def _tiles(width: int, height: int, fraction: float = 0.6, overlap: float = 0.25) -> list[tuple[int, int, int, int]]:
    """Overlapping square windows (x1, y1, x2, y2) of side `fraction` x the frame's short side."""
    side = int(min(width, height) * fraction)
    if side < 160:
        return []

    def starts(length: int) -> list[int]:
        count = int(np.ceil((length - side) / (side * (1 - overlap)))) + 1
        return sorted({int(round(v)) for v in np.linspace(0, length - side, count)})

    return [(x, y, x + side, y + side) for y in starts(height) for x in starts(width)]


def _next_window(window, box: np.ndarray, width: int, height: int):
    """The view a slot uses next frame for a person with `box` seen in `window` (None: the whole frame).

    Someone followed in the whole frame stays there (the graph tracks their region at full resolution).
    Someone found in a tile keeps that window while their box stays clear of its edges, so the graph's
    region tracking (in the window's coordinates) stays valid; otherwise the window is re-centred on
    them (a square 2.2 times their size), or becomes the whole frame when they are too big for one.
    """
    if window is None:
        return None
    size = float(max(box[2] - box[0], box[3] - box[1]))
    wx1, wy1, wx2, wy2 = window
    margin = 0.1 * (wx2 - wx1)
    if box[0] >= wx1 + margin and box[1] >= wy1 + margin and box[2] <= wx2 - margin and box[3] <= wy2 - margin:
        return window
    side = max(int(2.2 * size), wx2 - wx1)
    if side >= min(width, height):
        return None
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    x1 = int(np.clip(cx - side / 2, 0, width - side))
    y1 = int(np.clip(cy - side / 2, 0, height - side))
    return (x1, y1, x1 + side, y1 + side)
