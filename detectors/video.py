"""Run a detector and the tracker over a frame source: `detect_video` (offline) and `PersonFollower` (live).

The per-frame path is `PersonFollower.step(frame_index, image)`: detect -> update the tracker -> the
target's current (17, 2) keypoints; `detect_video` runs it over a whole source and builds the `Track2D`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import numpy as np

from detectors import appearance
from detectors.base import Detector, Person
from detectors.tracker import (
    EVERYONE,
    PeopleTracker,
    TrackedPerson,
    TrackRecord,
    build_track,
    describe_people,
    describe_target,
    lifted_people,
    parse_person,
    select_target,
    stitch_tracks,
)
from pstmo.errors import InputError
from pstmo.skeleton import NUM_JOINTS
from tracks.track import Track2D

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None], None]
"""progress(frames_done, frames_total_or_None)."""


@dataclass
class FrameResult:
    """One frame of the live path: every tracked person and the target's H36M keypoints.

    keypoints: (17, 2) pixels of the target, NaN when the target is not in this frame.
    confidence: (17,) in [0, 1], 0 when missing.
    """

    frame_index: int
    people: list[TrackedPerson]
    target_id: int | None
    keypoints: np.ndarray
    confidence: np.ndarray

    @property
    def found(self) -> bool:
        return bool(np.isfinite(self.keypoints).all())


class PersonFollower:
    """Detector + tracker for streaming use (webcam): `step(index, image)` per frame.

    person: "main", "largest", "longest", "all" or a track ID; the target is re-chosen only when its track is
    lost. With "all" everyone gets fresh keypoints every frame (`Detector.set_focus(None)`), since everyone
    may be lifted.
    """

    def __init__(self, detector: Detector, person: str | int = "main", tracker: PeopleTracker | None = None,
                 fps: float = 30.0) -> None:
        self.detector = detector
        self.person = parse_person(person)
        self.tracker = tracker or PeopleTracker(fps=fps)
        self.failed_frames: list[int] = []

    def detect(self, frame_index: int, image: np.ndarray) -> list[Person]:
        """The detector's people in this frame, each measured one with its appearance (for re-identification);
        a frame the backend cannot handle gives nobody (logged)."""
        try:
            people = self.detector.detect(image)
        except Exception as error:  # noqa: BLE001 - one bad frame must not stop a video
            log.warning("frame %d: detector failed (%s); treated as missing", frame_index, error)
            self.failed_frames.append(frame_index)
            return []
        height, width = image.shape[:2]
        for person in people:
            x1, y1, x2, y2 = person.box
            inside = x1 > 2 and y1 > 2 and x2 < width - 2 and y2 < height - 2  # partly out: a partial look
            if not person.held and person.appearance is None and inside:
                person.appearance = appearance.describe(image, person.box)
        return people

    def step(self, frame_index: int, image: np.ndarray, focus: Collection[int] = ()) -> FrameResult:
        """Detect and track one frame. The target and the IDs in `focus` (e.g. every lifted person) get fresh
        keypoints in the next frame; the detector may refresh the others less often (`Detector.set_focus`)."""
        people = self.tracker.update(frame_index, self.detect(frame_index, image))
        target = self.tracker.current_target(self.person)
        keypoints = np.full((NUM_JOINTS, 2), np.nan, dtype=np.float32)
        confidence = np.zeros(NUM_JOINTS, dtype=np.float32)
        for tracked in people:
            if tracked.track_id == target:
                keypoints, confidence = tracked.keypoints, tracked.confidence
        if self.person == EVERYONE:
            self.detector.set_focus(None)
        else:
            wanted = set(focus) | ({target} if target is not None else set())
            self.detector.set_focus([self.tracker.tracks[t].boxes[-1] for t in sorted(wanted)
                                     if t in self.tracker.tracks and self.tracker.tracks[t].length])
        return FrameResult(frame_index, people, target, keypoints, confidence)


@dataclass
class DetectionResult:
    """Result of `detect_video`.

    track: the chosen person's `Track2D` (all NaN if nobody was chosen, e.g. cancelled before anyone).
    tracks: every tracked person by ID. id_switches: suspected identity mistakes (see `PeopleTracker`).
    frames_read: frames decoded from the source. missing_frames: frame indices where the chosen person has
    no keypoints even after gap filling. empty_frames: frames where nobody at all was detected.
    relinks: tracks joined offline because they were one person lost for a moment (`stitch_tracks`).
    lifted: the IDs to lift: the chosen person, or with `person="all"` everyone seen long enough
    (`detectors.tracker.lifted_people`, the chosen person first).
    """

    track: Track2D
    tracks: dict[int, TrackRecord]
    target_id: int | None
    id_switches: list[dict]
    frames_read: int
    missing_frames: list[int]
    empty_frames: list[int] = field(default_factory=list)
    failed_frames: list[int] = field(default_factory=list)
    truncated: bool = False
    cancelled: bool = False
    relinks: list[dict] = field(default_factory=list)
    lifted: list[int] = field(default_factory=list)


def _is_cancelled(cancel: threading.Event | Callable[[], bool] | None) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def detect_video(source, detector: Detector, *, person: str | int = "main", max_gap: int = 15,
                 min_confidence: float = 0.3, progress: ProgressCallback | None = None,
                 cancel: threading.Event | Callable[[], bool] | None = None,
                 tracker: PeopleTracker | None = None, stitch: bool = True) -> DetectionResult:
    """Detect and track everyone in `source` (a `pipeline.sources.FrameSource`), then build the chosen
    person's `Track2D` with gaps up to `max_gap` frames interpolated.

    person: "main" | "largest" | "longest" | "all" | track ID (see `select_target`; the track's
    `extra["target_reason"]` says why; with "all" it says whom `DetectionResult.lifted` holds and whom not).
    progress(done, total) is called after every frame; `cancel` (an Event or a callable returning True) stops
    early and returns what was found so far (cancelled=True).
    stitch: join tracks of one person lost for a moment and found again under a new ID (`stitch_tracks`).
    Raises InputError when nobody is detected in the whole source, or for an unknown person ID.
    """
    rule = parse_person(person)
    detector.reset()
    follower = PersonFollower(detector, rule, tracker, fps=source.fps)
    total = source.frame_count
    cancelled = False
    frames_read = 0
    for frame in source:
        if _is_cancelled(cancel):
            cancelled = True
            break
        follower.step(frame.index, frame.image)
        frames_read = frame.index + 1
        if progress is not None:
            progress(frames_read, total)
    tracks = follower.tracker.tracks
    if not cancelled and not any(r.length for r in tracks.values()):
        raise InputError(f"{source.name}: nobody detected in any of the {frames_read} frames read")
    relinks = stitch_tracks(tracks, source.fps, min_length=follower.tracker.min_length) if stitch else []
    joined = {(event["to_id"], event["from_id"]) for event in relinks}
    id_switches = [s for s in follower.tracker.id_switches  # a reappearance that stitching repaired is no switch
                   if not (s["kind"] == "reappeared" and (s["from_id"], s["to_id"]) in joined)]
    target = select_target(tracks, rule) if tracks else None
    track = build_track(tracks.get(target) if target is not None else None, frames_read, source.image_size,
                        source.fps, max_gap=max_gap, min_confidence=min_confidence, source=source.name,
                        detector=detector.name)
    lifted = [target] if target is not None else []
    if target is not None and rule == EVERYONE:
        lifted = lifted_people(tracks, frames_read, source.fps, main=target)
        track.extra["target_reason"] = describe_people(tracks, lifted, frames_read, source.fps)
    elif target is not None:
        track.extra["target_reason"] = describe_target(tracks, target, rule, frames_read)
    missing = np.flatnonzero(track.missing).tolist()
    return DetectionResult(
        track=track, tracks=tracks, target_id=target, id_switches=id_switches,
        frames_read=frames_read, missing_frames=missing, empty_frames=list(follower.tracker.empty_frames),
        failed_frames=list(follower.failed_frames), truncated=bool(getattr(source, "truncated", False)),
        cancelled=cancelled, relinks=relinks, lifted=lifted,
    )
