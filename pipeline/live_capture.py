"""A live session kept as a result: the 2D people and 3D poses a `LiveSession` showed, turned into the same
`PipelineResult` (and files) that `Pipeline.process` makes from a video.

`LiveCapture.add(update)` keeps, per person, the 2D keypoints of every processed frame and the lifter's raw
answer for every frame it lifted (`LiveUpdate.raw_poses`, before live smoothing). `capture_result` then
builds each kept person's `Track2D` and joints over their frames, marks the frames they have no measured pose
for (dropped while busy, or not tracked) as missing and holds them from the nearest measured one, and places
everyone in one world frame with the pipeline's own `postprocess_people` (offline smoothing, root trajectory,
floor), so `Pipeline.write_outputs` writes the result file and the exports exactly as for a processed video.

Whom it keeps: with `person="all"` everyone lifted for at least `detectors.tracker.min_lift_frames` of the
frames; otherwise the person followed most often (the main person, first, in both cases).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from detectors.tracker import min_lift_frames
from pipeline.people import PersonResult
from pstmo.errors import InputError
from pstmo.gaps import hold_nearest
from pstmo.skeleton import NUM_JOINTS
from tracks.track import Track2D

if TYPE_CHECKING:
    from pipeline.live import LiveSession, LiveUpdate
    from pipeline.pipeline import Pipeline, PipelineResult


@dataclass
class LiveCapture:
    """What a live session showed, frame by frame (source frame indices).

    name: the source's name (output files are named after it); image_size: (width, height) px; fps: source rate.
    two_d: {person id: {frame: (keypoints (17, 2) px, confidence (17,))}} for every tracked person.
    three_d: {person id: {frame: (17, 3) metres, root-relative camera frame}}, the lifter's raw answers.
    followed: how many frames each id was the followed person.
    frames: source frames seen so far (the highest frame index + 1).
    """

    name: str
    image_size: tuple[int, int]
    fps: float
    everyone: bool = False
    two_d: dict[int, dict[int, tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    three_d: dict[int, dict[int, np.ndarray]] = field(default_factory=dict)
    followed: Counter = field(default_factory=Counter)
    frames: int = 0

    @classmethod
    def of(cls, session: LiveSession, name: str | None = None) -> LiveCapture:
        """An empty capture for `session` (its image size, frame rate and whom it follows), named `name` (e.g.
        the recording) or after its source."""
        from detectors.tracker import EVERYONE

        frames = session.frames
        return cls(name=name or frames.name, image_size=frames.image_size, fps=session.fps,
                   everyone=session.person == EVERYONE)

    def add(self, update: LiveUpdate) -> None:
        """Keep one `LiveUpdate` (its people's 2D and whatever 3D poses it answers)."""
        index = update.frame.index
        self.frames = max(self.frames, index + 1)
        for person_id, keypoints, confidence in update.people:
            self.two_d.setdefault(person_id, {})[index] = (np.asarray(keypoints, dtype=np.float32),
                                                           np.asarray(confidence, dtype=np.float32))
        if update.person_id is not None and update.people:
            self.followed[update.person_id] += 1
        for person_id, pose in update.raw_poses.items():
            frame = update.pose_frames.get(person_id)
            if frame is not None:
                self.three_d.setdefault(person_id, {})[frame] = np.asarray(pose, dtype=np.float32)
                self.frames = max(self.frames, frame + 1)

    def kept_people(self) -> list[int]:
        """The ids a result holds: the person followed most often first, then (everyone) all lifted long
        enough, by id."""
        counts = {pid: len(self.measured(pid)) for pid in self.three_d}
        lifted = [pid for pid, count in counts.items() if count]
        if not lifted:
            return []
        main = max(lifted, key=lambda pid: (self.followed[pid], counts[pid], -pid))
        if not self.everyone:
            return [main]
        enough = min_lift_frames(self.frames, self.fps)
        return [main] + sorted(pid for pid in lifted if pid != main and counts[pid] >= enough)

    def track(self, person_id: int, first: int, stop: int) -> Track2D:
        """Their `Track2D` over frames [first, stop): (n, 17, 2) px, NaN where they were not tracked."""
        count = stop - first
        keypoints = np.full((count, NUM_JOINTS, 2), np.nan, dtype=np.float32)
        confidence = np.zeros((count, NUM_JOINTS), dtype=np.float32)
        for frame, (points, conf) in self.two_d.get(person_id, {}).items():
            if first <= frame < stop:
                keypoints[frame - first], confidence[frame - first] = points, conf
        return Track2D(keypoints=keypoints, confidence=confidence, image_size=self.image_size, fps=self.fps,
                       person_id=person_id, source=self.name, extra={"first_frame": first})

    def measured(self, person_id: int) -> list[int]:
        """The frames (sorted) where the person was both tracked in 2D and lifted; live mode also lifts a person
        for a while after they are lost, from their last keypoints, and those poses are not kept."""
        seen = self.two_d.get(person_id, {})
        return sorted(frame for frame in self.three_d.get(person_id, {}) if frame in seen)

    def joints(self, person_id: int, first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """(joints (n, 17, 3) over frames [first, stop), the frames that are not `measured` held from the nearest
        one that is; missing (n,) bool: those frames). The person needs a measured frame in the range."""
        joints = np.full((stop - first, NUM_JOINTS, 3), np.nan, dtype=np.float32)
        poses = self.three_d.get(person_id, {})
        for frame in self.measured(person_id):
            if first <= frame < stop:
                joints[frame - first] = poses[frame]
        filled, missing = hold_nearest(joints)
        return filled, missing


def capture_result(pipeline: Pipeline, capture: LiveCapture, seconds: float = 0.0) -> PipelineResult:
    """The capture as a `PipelineResult` made with `pipeline`'s settings (see the module docstring); the main
    person spans every frame of the session (frames before their first pose held and marked missing), everyone
    else their own first to last measured pose (`LiveCapture.measured`). InputError when nobody was lifted."""
    from pipeline.pipeline import MIN_PERSON_FRAMES, PipelineResult, Summary

    kept = capture.kept_people()
    if not kept:
        raise InputError(f"{capture.name}: nobody was lifted during the live session; nothing to save")
    parts = []
    for n, person_id in enumerate(kept):
        frames = capture.measured(person_id)
        first, stop = (0, capture.frames) if n == 0 else (frames[0], frames[-1] + 1)
        parts.append((capture.track(person_id, first, stop), *capture.joints(person_id, first, stop)))
    motions = pipeline.postprocess_people([(joints, track, missing) for track, joints, missing in parts])
    people = [PersonResult(track.person_id, int(track.extra["first_frame"]), track, joints, missing, motion)
              for (track, joints, missing), motion in zip(parts, motions, strict=True)]
    main = people[0]
    tracked = sum(1 for points in capture.two_d.values() if len(points) >= MIN_PERSON_FRAMES) or 1
    summary = Summary(source=capture.name, frames=capture.frames, people=tracked, person_id=main.person_id,
                      missing_frames=int(main.missing.sum()), interpolated_frames=0, id_switches=0,
                      source_fps=capture.fps, seconds=seconds,
                      lifted=[p.person_id for p in people] if capture.everyone else [])
    tracks = [capture.track(pid, 0, capture.frames) for pid in sorted(capture.two_d)]
    return PipelineResult(track=main.track, tracks=tracks, joints=main.joints, missing=main.missing,
                          motion=main.motion, summary=summary, people=people)
