"""2D pose detectors, multi-person tracking and target selection (no Qt).

`create_detector("mediapipe" | "mmpose", **options)` -> `Detector`; `detect_video(source, detector)` ->
`DetectionResult` with the chosen person's `Track2D` (`tracks.track`); `PersonFollower` for frame-by-frame (live) use.
"""

from __future__ import annotations

from detectors.base import Detector, Person, to_h36m
from detectors.tracker import PeopleTracker, TrackedPerson, build_track, select_target
from detectors.video import DetectionResult, FrameResult, PersonFollower, detect_video
from pstmo.errors import InputError

DETECTORS: tuple[str, ...] = ("mediapipe", "mmpose")
"""Names `create_detector` accepts."""


def create_detector(name: str = "mediapipe", **options) -> Detector:
    """The 2D backend called `name`, built with its keyword `options`.

    mediapipe: max_people (4), detect_every (4), others_every (6), min_detection_confidence (0.5), threads (1),
        parallel (True) ...
    mmpose: pose_config, pose_checkpoint, det_config, det_checkpoint, device ... (see detectors.mmpose_backend).
    A backend that is not installed raises InputError saying how to install it.
    """
    key = name.strip().lower()
    if key == "mediapipe":
        from detectors.mediapipe_backend import MediaPipeDetector

        return MediaPipeDetector(**options)
    if key == "mmpose":
        from detectors.mmpose_backend import MMPoseDetector

        return MMPoseDetector(**options)
    raise InputError(f"unknown detector {name!r}; choose one of: {', '.join(DETECTORS)}")


__all__ = [
    "DETECTORS", "DetectionResult", "Detector", "FrameResult", "PeopleTracker", "Person", "PersonFollower",
    "TrackedPerson", "build_track", "create_detector", "detect_video", "select_target", "to_h36m",
]
