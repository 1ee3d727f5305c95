"""`LiveSession`: live 3D from a camera (or a replayed file), one thread per part, never a growing backlog.

```
camera job ──(newest frame)──► 2D job ──(bounded queue)──► lift job ──(bounded queue)──► your loop
read + record                  detect + track (+ focus)     one LiftStream + One-Euro     LiveUpdate
                                                            per lifted person
```

- The camera job reads frames as they come (a real camera) or at the file's frame rate (`realtime=True` on a
  file: a replay "as if live"). It hands only the newest frame on: a frame that arrives while the 2D job is
  still busy replaces the waiting one, which is dropped and counted (`LiveStats.dropped`). Every frame that
  arrives is recorded (`record`), dropped or not, so the recording can be processed offline later.
- With `realtime=False` (a file or in-memory frames processed as fast as possible) nothing is dropped:
  the camera job waits for the 2D job.
- The 2D job runs `detectors.PersonFollower.step` with the lifted people as the detector's focus (they get
  landmarks every frame; the others less often).
- The lift job keeps one `LiftStream` and One-Euro filter per lifted person (the followed target; with
  `person="all"` everyone tracked, each kept until unseen for `KEEP_UNSEEN_S`), holding a person's last
  keypoints while they are missing so poses keep coming. All of a frame's people go through the model in
  one call (`Lifter.push_streams`).
- Latency is measured from a frame's arrival (camera job) to its 3D pose being ready (lift job).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from detectors.base import Detector
from detectors.tracker import EVERYONE, TrackedPerson
from pipeline.interfaces import Frames, Lifter, LiftStream
from pipeline.sources import Frame
from pstmo.gaps import hold_nearest

_END = object()
KEEP_UNSEEN_S = 1.0
"""`person="all"`: a person unseen for longer than this is no longer lifted (their stream is dropped)."""
ROOT_SMOOTHING = {"min_cutoff": 1.0, "beta": 2.0}
"""One-Euro settings for a live root position (metres): steadier than the pose's, the depth being the noisiest."""


@dataclass
class LiveUpdate:
    """One live frame: the image, the tracked people, and the newest 3D pose if one is ready.

    people: list of (person_id, keypoints (17, 2) px, confidence (17,)) for every tracked person.
    keypoints_2d: (17, 2) px of the followed person in this frame (None if nobody).
    pose: (17, 3) metres, root-relative camera frame, smoothed; belongs to frame `pose_frame_index`.
    poses: {person_id: (17, 3)} for every lifted person with a pose ready (the followed one; everyone tracked
    with `person="all"`), smoothed like `pose`.
    pose_frames: {person_id: the source frame index that person's entry of `poses` belongs to}.
    raw_poses: {person_id: (17, 3)} the lifter's answers behind `poses` before live smoothing (what a capture
    keeps, `pipeline.live_capture`, so offline smoothing is not applied on top of live smoothing).
    roots: with `person="all"`, {person_id: (3,)} metres, where that person's root is in the camera frame (x
    right, y down, z forward) at their pose's frame: `motion.root_trajectory` on their pose and 2D (focal
    length guessed from the image size, size from the lifter's adult skeleton), One-Euro smoothed; lets a view
    place everyone as seen.
    latency_s: seconds from the arrival of frame `pose_frame_index` to its 3D pose being ready.
    delay_frames: frames the lifter waits before answering (0 for a causal model, half a window if centred).
    dropped: frames dropped so far because they arrived while the 2D stage was busy.
    """

    frame: Frame
    people: list[tuple[int, np.ndarray, np.ndarray]]
    person_id: int | None
    keypoints_2d: np.ndarray | None
    pose: np.ndarray | None
    pose_frame_index: int | None
    latency_s: float | None
    fps: float
    delay_frames: int = 0
    dropped: int = 0
    poses: dict[int, np.ndarray] = field(default_factory=dict)
    pose_frames: dict[int, int] = field(default_factory=dict)
    raw_poses: dict[int, np.ndarray] = field(default_factory=dict)
    roots: dict[int, np.ndarray] = field(default_factory=dict)


@dataclass
class LiveStats:
    """Counts and timings of a live session (read them at any time; complete when it ends)."""

    frames_in: int = 0
    processed: int = 0
    dropped: int = 0
    latencies_s: list[float] = field(default_factory=list)
    two_d_s: list[float] = field(default_factory=list)  # per processed frame: detect + track
    lift_s: list[float] = field(default_factory=list)  # per processed frame: lift + filter
    started: float = field(default_factory=time.perf_counter)
    ended: float | None = None

    def summary(self) -> dict[str, Any]:
        """frames in / processed / dropped, processed fps, latency median and 95th percentile in ms."""
        seconds = (self.ended or time.perf_counter()) - self.started
        ms = np.array(self.latencies_s) * 1000
        return {"frames_in": self.frames_in, "processed": self.processed, "dropped": self.dropped,
                "seconds": round(seconds, 3),
                "fps_processed": round(self.processed / seconds, 2) if seconds > 0 else 0.0,
                "latency_ms_median": round(float(np.median(ms)), 1) if len(ms) else None,
                "latency_ms_p95": round(float(np.percentile(ms, 95)), 1) if len(ms) else None,
                "two_d_ms_median": round(1000 * float(np.median(self.two_d_s)), 1) if self.two_d_s else None,
                "lift_ms_median": round(1000 * float(np.median(self.lift_s)), 1) if self.lift_s else None}


class _Handoff:
    """A bounded hand-off between two jobs. `drop_oldest`: a full hand-off drops its oldest item to take the
    new one (put returns True when it dropped); otherwise put waits for room."""

    def __init__(self, capacity: int, drop_oldest: bool, stop: threading.Event) -> None:
        self.capacity, self.drop_oldest, self.stop = capacity, drop_oldest, stop
        self.items: deque = deque()
        self.lock = threading.Condition()
        self.closed = False

    def put(self, item: Any) -> bool:
        with self.lock:
            dropped = False
            while len(self.items) >= self.capacity and not self.stop.is_set():
                if self.drop_oldest:
                    self.items.popleft()
                    dropped = True
                    break
                self.lock.wait(0.05)
            self.items.append(item)
            self.lock.notify_all()
            return dropped

    def get(self) -> Any:
        with self.lock:
            while not self.items and not self.closed and not self.stop.is_set():
                self.lock.wait(0.05)
            if self.items:
                item = self.items.popleft()
                self.lock.notify_all()
                return item
            return _END

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.lock.notify_all()


@dataclass
class _Frame2D:
    frame: Frame
    arrived: float
    people: list[TrackedPerson]
    target: int | None


class _PersonLift:
    """Lifting of one person: their stream, smoother, and which source frame each pushed frame was."""

    def __init__(self, stream: LiftStream, fps: float) -> None:
        from motion import OneEuroFilter

        self.stream = stream
        self.smoother = OneEuroFilter(fps=fps)
        self.root_smoother = OneEuroFilter(fps=fps, **ROOT_SMOOTHING)
        # pushed index -> (source frame index, time, arrival, keypoints pushed); dropped once answered
        self.frames: dict[int, tuple[int, float, float, np.ndarray]] = {}
        self.pushed = 0
        self.last: np.ndarray | None = None

    def prepare(self, keypoints: np.ndarray | None, frame: Frame, arrived: float) -> np.ndarray | None:
        """The keypoints to push for this frame (the last ones again while the person is missing; None before
        they were first seen); `answers` turns what the stream returns into poses."""
        if keypoints is not None and not np.isnan(keypoints).all():
            if np.isnan(keypoints).any():  # fill single missing joints from the last frame
                keypoints = hold_nearest(np.stack([self.last if self.last is not None else keypoints,
                                                   keypoints]))[0][1]
            self.last = keypoints
        if self.last is None:
            return None  # not seen yet: nothing to lift
        self.frames[self.pushed] = (frame.index, frame.time_s, arrived, self.last)
        self.pushed += 1
        return self.last

    def flush(self, image_size: tuple[int, int] | None) -> list[_Answer]:
        return self.answers(self.stream.flush(), image_size)

    def answers(self, answers: list[tuple[int, np.ndarray]], image_size: tuple[int, int] | None) -> list[_Answer]:
        """[(pushed index, pose)] from the stream -> `_Answer`s (source frame, smoothed pose, ...); the root
        position only with an `image_size` (None: not wanted, `_Answer.root` is None)."""
        from motion.root_trajectory import estimate_root_trajectory

        out = []
        for index, pose in answers:
            source_index, time_s, arrived, keypoints = self.frames.pop(index)
            raw = np.asarray(pose, dtype=np.float64)
            root = None
            if image_size is not None:
                root = self.root_smoother.filter(estimate_root_trajectory(raw[None], keypoints[None], image_size)[0],
                                                 time_s)
            out.append(_Answer(source_index, self.smoother.filter(raw, time_s), arrived, raw, root))
        return out


@dataclass
class _Answer:
    """One answered frame of one person: source frame index, smoothed pose (17, 3), arrival time (perf_counter),
    raw pose (17, 3), smoothed root position (3,) camera frame, metres (None when not wanted)."""

    frame: int
    pose: np.ndarray
    arrived: float
    raw: np.ndarray
    root: np.ndarray | None


class LiveSession:
    """Live 3D over a frame source; iterate it for `LiveUpdate`s (see the module docstring).

    detector, lifter: loaded models; person: a rule ("main", "largest", "longest"), a track ID
        (`detectors.tracker.parse_person`), or "all": everyone tracked is lifted (`LiveUpdate.poses`), the
        "main" person followed; flip: flip TTA in the lifter.
    realtime: drop frames that arrive while busy (a camera; a file is then replayed at its frame rate);
        None: True for a live source (no frame count), False for files and in-memory frames.
    record: also write every incoming frame to this video file. duration_s: stop after this long.
    cancel: set it to stop. `stats` holds the counts; `stop()` ends the session from any thread.
    """

    def __init__(self, frames: Frames, detector: Detector, lifter: Lifter, *, person: str | int = "main",
                 flip: bool = False, realtime: bool | None = None, record: str | Path | None = None,
                 duration_s: float | None = None, cancel: threading.Event | None = None,
                 torch_threads: int | None = 1) -> None:
        self.frames = frames
        self.detector = detector
        self.lifter = lifter
        self.person = person
        self.flip = flip
        self.realtime = frames.frame_count is None if realtime is None else bool(realtime)
        self.record = record
        self.duration_s = duration_s
        self.cancel = cancel
        self.torch_threads = torch_threads
        self.stats = LiveStats()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._fps = float(frames.fps or 30.0)
        self._threads: list[threading.Thread] = []

    @property
    def fps(self) -> float:
        """The source's frame rate (30 when it does not say)."""
        return self._fps

    def stop(self) -> None:
        self._stop.set()

    def _stopping(self) -> bool:
        return self._stop.is_set() or (self.cancel is not None and self.cancel.is_set())

    # ------------------------------------------------------------------------------------------ jobs

    def _job(self, work, *args) -> None:
        try:
            work(*args)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer
            self._error = self._error or error
            self._stop.set()

    def _camera(self, out: _Handoff) -> None:
        from pipeline.pipeline import VideoRecorder

        writer = VideoRecorder(self.record, self._fps, self.frames.image_size) if self.record else None
        start = time.perf_counter()
        paced = self.realtime and self.frames.frame_count is not None  # a file replayed as if live
        try:
            for frame in self.frames:
                if self._stopping():
                    break
                if paced:
                    wait = start + frame.index / self._fps - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                arrived = time.perf_counter()
                if self.duration_s is not None and arrived - start > self.duration_s:
                    break
                if writer:
                    writer.write(frame.image)
                self.stats.frames_in += 1
                if out.put((frame, arrived)):
                    self.stats.dropped += 1
        finally:
            out.close()
            if writer:
                writer.close()

    def _two_d(self, inbox: _Handoff, out: _Handoff, lifted: list[int]) -> None:
        from detectors.video import PersonFollower

        follower = PersonFollower(self.detector, self.person, fps=self._fps)
        try:
            while (item := inbox.get()) is not _END:
                frame, arrived = item
                started = time.perf_counter()
                step = follower.step(frame.index, frame.image, focus=lifted)
                self.stats.two_d_s.append(time.perf_counter() - started)
                self.stats.processed += 1
                out.put(_Frame2D(frame, arrived, step.people, step.target_id))
        finally:
            out.close()

    def _lift(self, inbox: _Handoff, out: _Handoff, lifted: list[int]) -> None:
        lifts: dict[int, _PersonLift] = {}
        pose: np.ndarray | None = None
        pose_index: int | None = None
        follow: int | None = None
        window_start, window_frames, fps = time.perf_counter(), 0, 0.0
        last: _Frame2D | None = None
        delay = int(self.lifter.delay)
        last_seen: dict[int, int] = {}  # person="all": id -> the frame they were last tracked in
        placing = self.frames.image_size if self.person == EVERYONE else None  # roots: to place several people
        keep_frames = KEEP_UNSEEN_S * self._fps
        while (item := inbox.get()) is not _END:
            last = item
            started = time.perf_counter()
            follow = item.target if item.target is not None else follow
            people = {p.track_id: p for p in item.people}
            others: list[int] = []
            if self.person == EVERYONE:
                last_seen.update({pid: item.frame.index for pid in people})
                for gone in [pid for pid, at in last_seen.items() if item.frame.index - at > keep_frames]:
                    del last_seen[gone]  # unseen too long: forgotten, so the dict stays the size of the scene
                others = sorted(pid for pid in last_seen if pid != follow)
            lifted[:] = ([follow] if follow is not None else []) + others
            for gone in [pid for pid in lifts if pid not in lifted]:
                del lifts[gone]
            poses: dict[int, np.ndarray] = {}
            pose_frames: dict[int, int] = {}
            raw_poses: dict[int, np.ndarray] = {}
            roots: dict[int, np.ndarray] = {}
            latency = None
            pending = []
            for pid in lifted:
                lift = lifts.get(pid)
                if lift is None:
                    lift = lifts[pid] = _PersonLift(self.lifter.stream(self.frames.image_size, flip=self.flip),
                                                    self._fps)
                seen = people.get(pid)
                points = lift.prepare(None if seen is None else seen.keypoints, item.frame, item.arrived)
                if points is not None:
                    pending.append((pid, lift, points))
            answered = self.lifter.push_streams([lift.stream for _, lift, _ in pending],
                                                [points for _, _, points in pending])
            for (pid, lift, _), raw in zip(pending, answered, strict=True):
                for answer in lift.answers(raw, placing):
                    poses[pid], pose_frames[pid], raw_poses[pid] = answer.pose, answer.frame, answer.raw
                    if answer.root is not None:
                        roots[pid] = answer.root
                    if pid == follow:
                        pose, pose_index = answer.pose, answer.frame
                        latency = time.perf_counter() - answer.arrived
                        self.stats.latencies_s.append(latency)
            self.stats.lift_s.append(time.perf_counter() - started)
            window_frames += 1
            now = time.perf_counter()
            if now - window_start >= 1.0:
                fps, window_start, window_frames = window_frames / (now - window_start), now, 0
            target = people.get(follow) if follow is not None else None
            out.put(LiveUpdate(
                frame=item.frame, people=[(p.track_id, p.keypoints, p.confidence) for p in item.people],
                person_id=follow, keypoints_2d=None if target is None else target.keypoints, pose=pose,
                pose_frame_index=pose_index, latency_s=latency,
                fps=fps or window_frames / max(now - self.stats.started, 1e-6), delay_frames=delay,
                dropped=self.stats.dropped, poses=poses, pose_frames=pose_frames, raw_poses=raw_poses,
                roots=roots))
        if last is not None and not self._stopping():
            # End of the source: answer the frames a centred model was still waiting on (everyone's).
            for pid, lift in lifts.items():
                for answer in lift.flush(placing):
                    followed = pid == follow
                    out.put(LiveUpdate(frame=last.frame, people=[], person_id=follow, keypoints_2d=None,
                                       pose=answer.pose if followed else None,
                                       pose_frame_index=answer.frame if followed else None, latency_s=None,
                                       fps=fps, delay_frames=delay, dropped=self.stats.dropped,
                                       poses={pid: answer.pose}, pose_frames={pid: answer.frame},
                                       raw_poses={pid: answer.raw},
                                       roots={} if answer.root is None else {pid: answer.root}))
        out.close()

    # ------------------------------------------------------------------------------------- consumer

    def __iter__(self) -> Iterator[LiveUpdate]:
        from pipeline.pipeline import torch_threads

        previous = torch_threads(self.torch_threads)
        frames = _Handoff(1, self.realtime, self._stop)
        two_d = _Handoff(4, False, self._stop)
        updates = _Handoff(8, False, self._stop)
        lifted: list[int] = []  # shared: the lift job says whom it lifts, the 2D job keeps them in focus
        import motion

        motion.preload()  # scipy.spatial (~1 s): imported here, not by a job while frames arrive

        self.detector.reset()
        warm = self.lifter.stream(self.frames.image_size, flip=self.flip)  # the first push is slow
        warm.push(np.tile(np.array(self.frames.image_size, dtype=np.float32) / 2, (17, 1)))
        self.stats = LiveStats()
        self._threads = [
            threading.Thread(target=self._job, args=(self._camera, frames), name="live-camera", daemon=True),
            threading.Thread(target=self._job, args=(self._two_d, frames, two_d, lifted), name="live-2d",
                             daemon=True),
            threading.Thread(target=self._job, args=(self._lift, two_d, updates, lifted), name="live-lift",
                             daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        try:
            while not self._stopping():
                update = updates.get()
                if update is _END:
                    break
                yield update
        finally:
            self._stop.set()
            for thread in self._threads:
                thread.join(timeout=10)
            self.stats.ended = time.perf_counter()
            self.frames.close()
            torch_threads(previous)
        if self._error is not None:
            raise self._error
