"""MediaPipe BlazePose (full model, offline) as a multi-person detector: one person-detection pass for
everyone, one landmark pass per person that needs landmarks.

The models are the ones inside the mediapipe 0.10.14-0.10.21 wheel (`pose_detection.tflite`,
`pose_landmark_full.tflite`), run through LiteRT by `detectors.blazepose`; nothing is downloaded and the
mediapipe graph itself is not used (it follows one person per graph, so several people cost one full graph
each). See `MediaPipeDetector` for the schedule.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from detectors.base import Detector, Person, box_from_keypoints
from detectors.blazepose import Detection, LandmarkModel, Landmarks, PersonDetectorModel, Roi
from pstmo.errors import InputError

INSTALL_HINT = (
    "install it with `.venv/bin/pip install --no-deps mediapipe==0.10.21` "
    "(plus absl-py, attrs, flatbuffers, protobuf<5; see requirements-nodeps.txt)"
)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection of two x1 y1 x2 y2 boxes over the smaller one's area (1 when one contains the other)."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(x2 - x1, 0.0) * max(y2 - y1, 0.0)
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(inter / smaller) if smaller > 0 else 0.0


def _inside(point: np.ndarray, box: np.ndarray) -> bool:
    return bool(box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3])


@dataclass
class _Followed:
    """One person being followed: where to look next (`roi`), their last landmarks and when they were taken."""

    serial: int
    roi: Roi
    person: Person
    age: int = 0  # frames since `person` was measured


class MediaPipeDetector(Detector):
    """BlazePose full (33 landmarks) on every person found in the frame, at a cost that grows with the work.

    Each frame (video mode):
    1. people already followed get a landmark pass on the region tracked from their previous landmarks (no
       detector needed). Focused people (`set_focus`, e.g. the lifted person) get one every frame; the others
       every `others_every` frames (staggered), their last pose being repeated in between (`Person.held`).
       A person whose pose-presence score falls below `min_tracking_confidence` is lost;
    2. while fewer than `max_people` are followed, the person detector looks for newcomers: every frame while
       nobody is followed and after someone was lost, otherwise every `detect_every` frames; each pass looks
       at the whole frame or, every `discover_every`-th pass, at the next of a set of overlapping square tiles
       (0.6 x the short side; they find people too small for the detector's 224 px view of the whole frame,
       like the background person of the pose2sim clip). One pass finds everyone in its view; a detection
       that falls on someone already followed is ignored, each new one gets a landmark pass at once.
    `video_mode=False` (independent images): the detector and every landmark pass run on every frame.

    max_people: most people followed at once.
    min_detection_confidence / min_tracking_confidence: detector score / pose presence thresholds in [0, 1].
    min_box_height: people whose box is shorter than this many pixels are not reported (too small to trust).
    max_overlap: a person whose box overlaps another's by more than this fraction of the smaller box is the
        same person found twice (the newer one is dropped).
    detect_every: frames between detector passes while someone is followed (1: every frame).
    discover_every: detector passes between tile views (0: whole frame only, no small people).
    others_every: frames between landmark passes for people not in focus (1: everyone every frame).
    threads: CPU threads of each model run (1: runs are spread over threads instead, see `parallel`).
    parallel: the detector pass and the landmark passes of people outside the focus run in a second thread,
        beside the focused people's landmark passes (the models release Python's GIL while they run), so where
        a second core is free a detector pass no longer adds its ~12 ms to the frame it falls on. Results are
        the same as without. On the shared 2-core VM with other jobs running it measured even (300 frames:
        7.0-7.4 vs 7.2-7.3 s one person, 8.2-8.6 vs 8.7-9.0 s crowded; live latency within noise).
    """

    name = "mediapipe"
    layout = "blazepose33"

    def __init__(self, max_people: int = 4, video_mode: bool = True, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, min_box_height: float = 24.0, max_overlap: float = 0.6,
                 detect_every: int = 4, discover_every: int = 2, others_every: int = 6, threads: int = 1,
                 parallel: bool = True) -> None:
        if int(max_people) < 1:
            raise InputError(f"mediapipe detector: max_people must be >= 1; got {max_people}")
        for label, value in (("detect_every", detect_every), ("others_every", others_every)):
            if int(value) < 1:
                raise InputError(f"mediapipe detector: {label} must be >= 1; got {value}")
        self.max_people = int(max_people)
        self.video_mode = bool(video_mode)
        self.min_tracking_confidence = float(min_tracking_confidence)
        self.min_box_height = float(min_box_height)
        self.max_overlap = float(max_overlap)
        self.detect_every = int(detect_every)
        self.discover_every = max(int(discover_every), 0)
        self.others_every = int(others_every)
        self.detector = PersonDetectorModel(min_score=min_detection_confidence, threads=threads)
        self.landmarks = LandmarkModel(threads=threads)
        self.side_landmarks = LandmarkModel(threads=threads) if parallel else self.landmarks
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="blazepose") if parallel else None
        self._count = threading.Lock()
        blank = np.zeros((256, 256, 3), dtype=np.uint8)  # first runs are slow (XNNPACK set-up): not on frame 0

        def warm_side() -> None:
            self.detector.detect(blank)
            if self.side_landmarks is not self.landmarks:
                self.side_landmarks.run(blank, Roi(128.0, 128.0, 256.0))

        # parallel: the side models warm up in their thread (done before its first job) beside this one's
        warming = self._pool.submit(warm_side) if self._pool is not None else None
        self.landmarks.run(blank, Roi(128.0, 128.0, 256.0))
        if warming is None:
            warm_side()
        self._followed: list[_Followed] = []
        self._focus: list[np.ndarray] | None = None
        self._frame = 0
        self._passes = 0
        self._serial = 0
        self._lost = False
        self._closed = False
        self.runs = {"detector": 0, "landmarks": 0}
        """Model runs so far (for measurements)."""

    def reset(self) -> None:
        """Start a new video: forget everyone being followed."""
        self._followed = []
        self._focus = None
        self._frame = 0
        self._passes = 0
        self._lost = False

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self.detector.close()
        self.landmarks.close()
        self.side_landmarks.close()
        self._closed = True

    def set_focus(self, boxes: Sequence[np.ndarray] | None) -> None:
        """People whose box overlaps one of `boxes` (x1 y1 x2 y2 px) get landmarks every frame; None: everyone."""
        self._focus = None if boxes is None else [np.asarray(b, dtype=np.float32).reshape(4) for b in boxes]

    # ------------------------------------------------------------------------------------ per frame

    def detect(self, image_bgr: np.ndarray) -> list[Person]:
        if self._closed:
            raise RuntimeError("mediapipe detector: used after close()")
        image = np.asarray(image_bgr)
        if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 8:
            return []
        if image.dtype != np.uint8:
            image = image.astype(np.uint8)
        if not self.video_mode:
            self._followed = []
        due = [f for f in self._followed if self._due(f)]
        focused = [f for f in due if self._focused(f)]
        others = [f for f in due if not self._focused(f)]
        window = self._search_window(image)

        def side_work() -> tuple[list[Landmarks | None], list[Detection]]:
            """The detector pass and the other people's landmarks: beside the focused people's, when parallel."""
            found = [self._landmarks(image, f.roi, self.side_landmarks) for f in others]
            return found, (self._detector(image, window) if window is not False else [])

        side = self._pool.submit(side_work) if self._pool is not None and (others or window is not False) else None
        results = {f.serial: self._landmarks(image, f.roi, self.landmarks) for f in focused}
        found, detections = side.result() if side is not None else side_work()
        results.update({f.serial: landmarks for f, landmarks in zip(others, found, strict=True)})
        self._update_followed(image, results)
        self._add_new(image, detections)
        self._frame += 1
        return [f.person if f.age == 0 else _held(f.person, f.age) for f in self._followed
                if f.person.box[3] - f.person.box[1] >= self.min_box_height]

    def _focused(self, followed: _Followed) -> bool:
        return self._focus is None or any(_overlap(followed.person.box, box) > 0.5 for box in self._focus)

    def _due(self, followed: _Followed) -> bool:
        if self.others_every <= 1 or self._focused(followed):
            return True
        return (self._frame + followed.serial) % self.others_every == 0

    def _update_followed(self, image: np.ndarray, results: dict[int, Landmarks | None]) -> None:
        kept: list[_Followed] = []
        for followed in self._followed:
            if followed.serial not in results:
                followed.age += 1
                kept.append(followed)
                continue
            landmarks = results[followed.serial]
            if landmarks is None:
                self._lost = True
                continue
            followed.person, followed.roi, followed.age = self._person(landmarks, image.shape), landmarks.next_roi, 0
            if any(_overlap(followed.person.box, other.person.box) > self.max_overlap for other in kept):
                continue  # two regions converged on one person: keep the one followed longer
            kept.append(followed)
        self._followed = kept

    def _search_window(self, image: np.ndarray):
        """Where the detector looks this frame: (x1, y1, x2, y2), None (the whole frame) or False (no pass)."""
        if len(self._followed) >= self.max_people:
            return False
        urgent = not self._followed or self._lost or self._frame == 0 or not self.video_mode
        if not urgent and self._frame % self.detect_every:
            return False
        window = None
        tiles = _tiles(image.shape[1], image.shape[0]) if self.discover_every else []
        if tiles and self._frame > 0 and self._passes % self.discover_every:
            window = tiles[(self._passes // self.discover_every) % len(tiles)]
        self._passes += 1
        self._lost = False
        return window

    def _add_new(self, image: np.ndarray, detections: list[Detection]) -> None:
        for detection in detections:
            if len(self._followed) >= self.max_people:
                break
            if self._known(detection):
                continue
            landmarks = self._landmarks(image, detection.roi, self.landmarks)
            if landmarks is None:
                continue
            person = self._person(landmarks, image.shape)
            if any(_overlap(person.box, other.person.box) > self.max_overlap for other in self._followed):
                continue
            self._followed.append(_Followed(self._serial, landmarks.next_roi, person))
            self._serial += 1

    def _known(self, detection: Detection) -> bool:
        """Whether a detection falls on someone already followed (their mid-hips inside that person's box)."""
        centre = np.array([detection.roi.cx, detection.roi.cy])
        return any(_inside(centre, f.person.box) for f in self._followed)

    def _detector(self, image: np.ndarray, window) -> list[Detection]:
        with self._count:
            self.runs["detector"] += 1
        return self.detector.detect(image, window)

    def _landmarks(self, image: np.ndarray, roi: Roi, model: LandmarkModel) -> Landmarks | None:
        if roi.size < 8:
            return None
        with self._count:
            self.runs["landmarks"] += 1
        landmarks = model.run(image, roi)
        return landmarks if landmarks.score >= self.min_tracking_confidence else None

    def _person(self, landmarks: Landmarks, shape: tuple[int, ...]) -> Person:
        """Person (frame pixels) from the landmark model's answer."""
        height, width = shape[:2]
        keypoints = landmarks.keypoints
        # Landmarks outside the frame are extrapolated by the model: never trust them more than a guess.
        outside = (keypoints[:, 0] < 0) | (keypoints[:, 0] >= width) | (keypoints[:, 1] < 0) | (
            keypoints[:, 1] >= height)
        scores = np.where(outside, np.minimum(landmarks.visibility, 0.1), landmarks.visibility)
        box = box_from_keypoints(keypoints, scores, margin=0.08)
        box = np.clip(box, 0, [width, height, width, height]).astype(np.float32)
        seen = scores >= 0.5
        score = float(scores[seen].mean()) if seen.any() else float(scores.mean())
        return Person(keypoints=keypoints, scores=scores, box=box, layout=self.layout, score=score,
                      extra={"world_landmarks": landmarks.world, "presence": landmarks.score})


def _held(person: Person, age: int) -> Person:
    """The same pose, marked as measured `age` frames ago."""
    return Person(person.keypoints, person.scores, person.box, person.layout, person.score, person.extra, held=age)


def _tiles(width: int, height: int, fraction: float = 0.6, overlap: float = 0.25) -> list[tuple[int, int, int, int]]:
    """Overlapping square windows (x1, y1, x2, y2) of side `fraction` x the frame's short side."""
    side = int(min(width, height) * fraction)
    if side < 160:
        return []

    def starts(length: int) -> list[int]:
        count = int(np.ceil((length - side) / (side * (1 - overlap)))) + 1
        return sorted({int(round(v)) for v in np.linspace(0, length - side, count)})

    return [(x, y, x + side, y + side) for y in starts(height) for x in starts(width)]
