"""`Pipeline`: frame source -> detector -> tracker -> lifter -> motion -> exporters, for CLI and GUI alike.

Offline (`process`): streams the frames once through the detector and tracker (only keypoints are kept,
never the images), lifts the chosen person's `Track2D` to 3D, post-processes it into a `Motion` and
writes the result and the chosen exports. Frames are decoded in a background thread (`PrefetchSource`,
bounded) while the detector works, and the lifter loads in another while the first frames are detected:
each frame is decoded and detected once. With `person="all"` everyone seen long enough is lifted (one lifter
call for all, `lift_people`), placed in one world frame (`motion.postprocess_people`) and exported one file per
person and format (`pipeline.people`). Live (`live`): a `pipeline.live.LiveSession` (camera, 2D and
lifting jobs in their own threads; frames that arrive while busy are dropped and counted), yielding a
`LiveUpdate` per processed frame with the latency from frame arrival to 3D pose.

Long work takes `progress(stage, done, total)` and a `threading.Event` to cancel (raises `Cancelled`).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from detectors.base import Detector
from detectors.tracker import EVERYONE
from detectors.video import DetectionResult
from pipeline.interfaces import Frames, Lifter
from pipeline.live import LiveSession, LiveUpdate  # noqa: F401 - LiveUpdate is part of this module's API
from pipeline.people import PersonResult, person_stem, seen_span, slice_track
from pipeline.settings import PipelineSettings
from pstmo.atomic import PendingFile, check_output_folder
from pstmo.errors import InputError
from pstmo.gaps import hold_nearest
from pstmo.skeleton import NUM_JOINTS
from tracks.track import Track2D

if TYPE_CHECKING:
    from motion.motion import Motion

ProgressCallback = Callable[[str, int, "int | None"], None]
"""progress(stage, done, total): stage is 'detect', 'lift', 'motion' or 'export'; total None if unknown."""


MIN_PERSON_FRAMES = 5
"""A track seen in fewer frames is counted as detector noise, not a person, in the summary."""
LOAD_SWITCH_INTERVAL_S = 0.001
"""Python's thread switch interval while the lifter loads in the background (see `load_lifter_in_background`)."""
HELD_GAP = 8
"""Drawn tracks of people other than the lifted one bridge this many frames between measurements."""


class Cancelled(Exception):
    """The user cancelled a pipeline run (the cancel event was set)."""


@dataclass
class Summary:
    """What a run did: counts, speed (frames per second of wall time) and the files written."""

    source: str
    frames: int
    people: int
    person_id: int | None
    missing_frames: int
    interpolated_frames: int
    id_switches: int
    source_fps: float
    seconds: float  # wall time from the first frame read to the last file written (model loading excluded)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    declared_frames: int | None = None  # frames the damaged video declares when fewer decoded, else None
    lifted: list[int] = field(default_factory=list)  # `--person all`: the ids lifted (main first), else empty

    @property
    def fps_achieved(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """One human-readable line ("read K of N frames" for a damaged video)."""
        who = f"person {self.person_id}" if self.person_id is not None else "one person"
        if self.lifted:
            who = ", ".join(f"#{p}" for p in self.lifted)
        count = (f"read {self.frames} of {self.declared_frames} frames" if self.declared_frames
                 else f"{self.frames} frame{'' if self.frames == 1 else 's'}")
        return (f"{self.source}: {count}, {self.people} {'person' if self.people == 1 else 'people'} "
                f"tracked ({who} lifted), "
                f"{self.missing_frames} missing, {self.interpolated_frames} interpolated, "
                f"{self.fps_achieved:.1f} fps achieved ({self.seconds:.1f} s)")

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "frames": self.frames, "people": self.people, "person_id": self.person_id,
                "missing_frames": self.missing_frames, "interpolated_frames": self.interpolated_frames,
                "id_switches": self.id_switches, "source_fps": self.source_fps, "seconds": self.seconds,
                "fps_achieved": self.fps_achieved, "stage_seconds": self.stage_seconds, "outputs": self.outputs,
                "warnings": self.warnings, "declared_frames": self.declared_frames,
                "lifted": self.lifted}


@dataclass
class PipelineResult:
    """Output of `Pipeline.process`.

    track: the lifted person's `Track2D` ((T, 17, 2) pixels, NaN where missing).
    tracks: every tracked person (for drawing IDs on the video).
    joints: (T, 17, 3) metres, root-relative, camera frame (the lifter's output).
    missing: (T,) bool, frames with no detection (held from the nearest valid frame before lifting).
    motion: the post-processed `Motion` (world frame, root trajectory) that exporters write.
    people: everyone lifted, as `PersonResult`s in one world frame: the person above first (over the whole
    video), then with `--person all` everyone else seen long enough, each over their own span (see
    `pipeline.people`). A single-person run has just the one.
    """

    track: Track2D
    tracks: list[Track2D]
    joints: np.ndarray
    missing: np.ndarray
    motion: Motion
    summary: Summary
    people: list[PersonResult] = field(default_factory=list)

    @property
    def everyone(self) -> bool:
        """Whether this is a multi-person run (`--person all`): exports are then one file per person."""
        return bool(self.summary.lifted)

    def person(self, person_id: int | None) -> PersonResult | None:
        """The lifted person with this tracker id (None: not lifted)."""
        return next((p for p in self.people if p.person_id == person_id), None)


def open_frames(spec: str | Path | Frames, max_frames: int | None = None) -> Frames:
    """A frame source from a path, an image folder, "webcam:N" or an existing frame source."""
    from pipeline.sources import LimitedSource, open_source

    source = spec if isinstance(spec, Frames) else open_source(spec)
    return LimitedSource(source, max_frames) if max_frames else source


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("cancelled")


def _stage_progress(progress: ProgressCallback | None, stage: str) -> Callable[..., None] | None:
    """Adapts a library progress callback (done[, total]) to ours (stage, done, total)."""
    if progress is None:
        return None

    def report(done: int, total: int | None = None, *_: Any) -> None:
        progress(stage, int(done), None if total is None else int(total))

    return report


def output_stem(source_name: str) -> str:
    """File stem for outputs: the video's name without extension ('clip.mp4' -> 'clip')."""
    stem = Path(str(source_name)).stem or "result"
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)


class Pipeline:
    """One processing pipeline, configured by `PipelineSettings`; the detector and lifter load lazily.

    `detector` and `lifter` may be given directly (tests, or to share loaded models between runs; see
    `reconfigured`).
    """

    def __init__(self, settings: PipelineSettings | None = None, *, detector: Detector | None = None,
                 lifter: Lifter | None = None, live_lifter: Lifter | None = None) -> None:
        self.settings = settings or PipelineSettings()
        self._detector = detector
        self._lifter = lifter
        self._live_lifter = live_lifter
        self._loading: threading.Thread | None = None
        self._load_error: BaseException | None = None
        self._detector_lock = threading.Lock()
        self._lifter_lock = threading.Lock()

    def reconfigured(self, settings: PipelineSettings) -> Pipeline:
        """A pipeline with new `settings` that keeps this one's loaded models where the new settings still use
        them (same detector and options; same checkpoint and device; same live checkpoint)."""
        old = self.settings
        same_detector = (old.detector, old.detector_options) == (settings.detector, settings.detector_options)
        same_lifter = (old.checkpoint, old.device, old.precision) == (settings.checkpoint, settings.device,
                                                                       settings.precision)
        same_live = same_lifter and (old.live_checkpoint, old.live_mode) == (settings.live_checkpoint,
                                                                             settings.live_mode)
        return Pipeline(settings, detector=self._detector if same_detector else None,
                        lifter=self._lifter if same_lifter else None,
                        live_lifter=self._live_lifter if same_live else None)

    # ------------------------------------------------------------------------------------ components

    @property
    def detector(self) -> Detector:
        with self._detector_lock:
            if self._detector is None:
                from detectors import create_detector

                self._detector = create_detector(self.settings.detector, **self.settings.detector_options)
            return self._detector

    def load(self, live: bool = False) -> None:
        """Loads the detector and the lifter now (they load on first use otherwise)."""
        self.lifter(live=live)
        _ = self.detector

    def load_lifter_in_background(self, live: bool = False) -> None:
        """Starts loading the lifter in a thread (torch and scipy imports + checkpoint) so it overlaps other work; a
        missing checkpoint is still reported at once. `lifter()` waits for it. Nothing to do when the lifter
        was given or loaded already.

        Imports hold Python's GIL almost throughout, and a thread that let it go (the detector, inside every
        model run and OpenCV call) waits up to the interpreter's switch interval (5 ms) to get it back, several
        times a frame: while the thread loads, the interval is `LOAD_SWITCH_INTERVAL_S` (measured: a landmark
        run beside the imports took 62-70 ms instead of 77-87 ms on the loaded 2-core VM; 23-30 ms alone)."""
        if (self._live_lifter if live else self._lifter) is not None:
            return
        self._check_checkpoint(live)
        if self._loading is None:
            def load() -> None:
                interval = sys.getswitchinterval()
                sys.setswitchinterval(min(interval, LOAD_SWITCH_INTERVAL_S))
                try:
                    import motion

                    motion.preload()  # scipy.spatial takes ~1 s to import: overlap it too

                    self.lifter(live=live)
                except BaseException as error:  # noqa: BLE001 - raised again by lifter()
                    self._load_error = error
                finally:
                    sys.setswitchinterval(interval)

            self._loading = threading.Thread(target=load, name="lifter-load", daemon=True)
            self._loading.start()

    def _check_checkpoint(self, live: bool) -> Path:
        path = self.settings.resolved_checkpoint(live=live)
        if path is None:
            raise InputError("no lifter checkpoint: pass --checkpoint FILE (none is shipped in assets/models/)")
        if not Path(path).exists():
            raise InputError(f"{path}: checkpoint file not found")
        return Path(path)

    def lifter(self, live: bool = False) -> Lifter:
        """The lifter for offline processing, or for live mode (`settings.live_checkpoint`)."""
        loading = self._loading
        if loading is not None and loading is not threading.current_thread():
            loading.join()
            self._loading = None
            if self._load_error is not None:
                error, self._load_error = self._load_error, None
                raise error
        with self._lifter_lock:
            if live and self._live_lifter is not None:
                return self._live_lifter
            if not live and self._lifter is not None:
                return self._lifter
            if live and self._lifter is not None and self.settings.resolved_checkpoint(True) == \
                    self.settings.resolved_checkpoint(False):
                return self._lifter
            path = self._check_checkpoint(live)
            from pstmo import Lifter as TorchLifter

            lifter = TorchLifter.from_checkpoint(path, device=self.settings.device, dtype=self.settings.precision)
            if live:
                self._live_lifter = lifter
            else:
                self._lifter = lifter
            return lifter

    # --------------------------------------------------------------------------------------- offline

    def process(self, source: str | Path | Frames, out_dir: str | Path | None = None, *,
                progress: ProgressCallback | None = None, cancel: threading.Event | None = None) -> PipelineResult:
        """Video (path or frame source) -> `PipelineResult`; writes result + exports to `out_dir` if given."""
        from pipeline.prefetch import PrefetchSource
        from pipeline.sources import short_read_message

        if out_dir is not None:
            check_output_folder(out_dir, create=False)  # fail before the long work, not after it
        stage_seconds: dict[str, float] = {}
        frames = PrefetchSource(open_frames(source, self.settings.max_frames))
        try:
            t0 = time.perf_counter()
            self.load_lifter_in_background()  # overlaps the detection below
            _ = self.detector
            stage_seconds["load"] = time.perf_counter() - t0
        except BaseException:
            frames.close()
            raise
        start = time.perf_counter()
        name = frames.name
        try:
            t0 = time.perf_counter()
            detection = self.detect(frames, progress=progress, cancel=cancel)
            stage_seconds["detect"] = time.perf_counter() - t0
        finally:
            frames.close()
        track = detection.track
        if track is None or len(track) == 0 or detection.frames_read == 0:
            raise InputError(f"{name}: no frames could be decoded (empty, truncated or not a video)")
        if track.missing.all():
            raise InputError(f"{name}: nobody detected in {len(track)} frame(s)")
        _check_cancel(cancel)

        everyone = self.settings.person == EVERYONE
        tracks_2d = [track] + ([person_track(detection, pid, self.settings.max_gap) for pid in detection.lifted[1:]]
                               if everyone else [])
        t0 = time.perf_counter()
        lifted = self.lift_people(tracks_2d, progress=progress, cancel=cancel)
        joints, missing = lifted[0]
        stage_seconds["lift"] = time.perf_counter() - t0
        _check_cancel(cancel)

        t0 = time.perf_counter()
        if progress:
            progress("motion", 0, 1)
        motions = self.postprocess_people([(j, t, m) for (j, m), t in zip(lifted, tracks_2d, strict=True)])
        motion = motions[0]
        if progress:
            progress("motion", 1, 1)
        stage_seconds["motion"] = time.perf_counter() - t0
        people = [PersonResult(t.person_id, int(t.extra.get("first_frame", 0)), t, j, m, mo)
                  for (j, m), t, mo in zip(lifted, tracks_2d, motions, strict=True)]

        tracks = all_tracks(detection)
        tracked = sum(1 for record in detection.tracks.values() if record.length >= MIN_PERSON_FRAMES) or 1
        summary = Summary(
            source=name, frames=len(track), people=tracked, person_id=track.person_id,
            missing_frames=int(missing.sum()), interpolated_frames=int(np.asarray(track.interpolated).sum()),
            id_switches=len(detection.id_switches), source_fps=float(track.fps),
            seconds=0.0, stage_seconds=stage_seconds,
            lifted=[p.person_id for p in people if p.person_id is not None] if everyone else [])
        short_read = short_read_message(name, detection.frames_read, frames.frame_count)
        if detection.truncated and short_read:
            summary.declared_frames = frames.frame_count
            summary.warnings.append(short_read)
        if len(track) < 2:
            summary.warnings.append(f"{name}: only one frame; the 3D pose has no temporal context")
        result = PipelineResult(track=track, tracks=tracks, joints=joints,
                                missing=missing, motion=motion, summary=summary, people=people)
        if out_dir is not None:
            _check_cancel(cancel)
            t0 = time.perf_counter()
            summary.outputs = self.write_outputs(result, out_dir, progress=progress)
            stage_seconds["export"] = time.perf_counter() - t0
        summary.seconds = time.perf_counter() - start
        return result

    def detect(self, frames: Frames, *, progress: ProgressCallback | None = None,
               cancel: threading.Event | None = None) -> DetectionResult:
        """Runs the detector and tracker over a frame source; returns `detectors.DetectionResult`."""
        from detectors import detect_video

        result = detect_video(frames, self.detector, person=self.settings.person, max_gap=self.settings.max_gap,
                              progress=_stage_progress(progress, "detect"), cancel=cancel)
        _check_cancel(cancel)
        return result

    def lift(self, track: Track2D, *, progress: ProgressCallback | None = None,
             cancel: threading.Event | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Track2D -> ((T, 17, 3) metres root-relative camera frame, (T,) bool missing frames)."""
        return self.lift_people([track], progress=progress, cancel=cancel)[0]

    def lift_people(self, tracks: list[Track2D], *, progress: ProgressCallback | None = None,
                    cancel: threading.Event | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """`lift` for several people of one video in one lifter call (`Lifter.lift_sequences`: each person's
        windows see the edge padding a call of their own gives). Returns [(joints (T_i, 17, 3), missing (T_i,))]
        in the order of `tracks`."""
        held = []
        for track in tracks:
            try:
                held.append(hold_nearest(track.keypoints))
            except ValueError:
                who = "nobody" if len(tracks) == 1 else f"person #{track.person_id} never"
                raise InputError(f"{track.source or 'video'}: {who} detected") from None
        lifter = self.lifter()
        threads = torch_threads(self.settings.torch_threads)
        try:
            if len(held) == 1:
                joints = [lifter.lift(held[0][0], tracks[0].image_size, flip=self.settings.flip,
                                      progress=_stage_progress(progress, "lift"), cancel=cancel)]
            else:
                joints = lifter.lift_sequences([filled for filled, _ in held], tracks[0].image_size,
                                               flip=self.settings.flip, progress=_stage_progress(progress, "lift"),
                                               cancel=cancel)
        finally:
            torch_threads(threads)
        _check_cancel(cancel)
        out = []
        for part, (filled, missing) in zip(joints, held, strict=True):
            part = np.asarray(part, dtype=np.float32)
            if part.shape != (len(filled), NUM_JOINTS, 3):
                raise RuntimeError(f"lifter returned shape {part.shape}, expected {(len(filled), NUM_JOINTS, 3)}")
            out.append((part, missing))
        return out

    def postprocess(self, joints: np.ndarray, track: Track2D, missing: np.ndarray | None = None) -> Motion:
        """(T, 17, 3) camera-frame joints -> `Motion` (world frame, root trajectory, smoothing)."""
        return self.postprocess_people([(joints, track, missing)])[0]

    def postprocess_people(self, people: list[tuple[np.ndarray, Track2D, np.ndarray | None]]) -> list[Motion]:
        """[(joints (T_i, 17, 3) camera frame, their Track2D, missing (T_i,) bool or None)] -> one `Motion` each,
        in one world frame (`motion.postprocess_people`); the frames where a person was missing do not place
        the floor. `metadata["missing_frames"]` lists them as video frames, `metadata["first_frame"]` is the
        video frame of each motion's frame 0."""
        from motion import postprocess_people

        s = self.settings
        infos, measured = [], []
        for _, track, missing in people:
            first = int(track.extra.get("first_frame", 0))
            info = {"source": track.source, "detector": track.detector or s.detector,
                    "checkpoint": str(s.resolved_checkpoint() or ""), "flip": s.flip,
                    "person_id": track.person_id, "first_frame": first}
            if missing is not None:
                info["missing_frames"] = (first + np.flatnonzero(missing)).tolist()
            infos.append(info)
            measured.append(None if missing is None else ~np.asarray(missing, dtype=bool))
        return postprocess_people([(joints, track) for joints, track, _ in people],
                                  smoothing=None if s.smoothing == "none" else s.smoothing, world=s.world,
                                  root_trajectory=s.root_trajectory, foot_lock=s.foot_lock,
                                  constant_bones=s.constant_bones, up=s.up, metadata=infos, measured=measured,
                                  scale=s.people_scale)

    def write_outputs(self, result: PipelineResult, out_dir: str | Path,
                      progress: ProgressCallback | None = None, result_file: bool = True,
                      people: list[int] | None = None) -> dict[str, str]:
        """Writes the result file (2D track + 3D motion, everyone lifted; skipped with `result_file=False`) and
        every export format in `settings.exports`; returns {kind: path}. A multi-person run (`--person all`)
        writes each format once per person (`people`: only these ids), cut to the frames from their first to
        their last detection (`PersonResult.export_motion`), under the kind `person<ID>.<format>`."""
        from motion import export
        from motion.result import save_result

        out = check_output_folder(out_dir)
        written: dict[str, str] = {}
        lifted = result.summary.lifted if result.everyone else None
        if lifted and people is not None:
            unknown = [p for p in people if p not in lifted]
            if unknown:
                raise InputError(f"person #{unknown[0]} was not lifted (lifted: "
                                 f"{', '.join(f'#{p}' for p in lifted)})")
            lifted = [p for p in lifted if p in people]
        paths = self.output_paths(result.summary.source, out, result_file=result_file, people=lifted)
        total = len(paths)
        if progress:
            progress("export", 0, total)
        for n, (kind, path) in enumerate(paths.items(), start=1):
            if kind == "result":
                save_result(path, result.motion, result.track,
                            people=[(p.motion, p.track) for p in result.people[1:]])
            elif lifted:
                person_id, fmt = kind.removeprefix("person").split(".")
                export(result.person(int(person_id)).export_motion(), path, format=fmt)
            else:
                export(result.motion, path, format=kind)
            written[kind] = str(path)
            if progress:
                progress("export", n, total)
        return written

    def output_paths(self, source_name: str, out_dir: str | Path, result_file: bool = True,
                     people: list[int] | None = None) -> dict[str, Path]:
        """{kind: path} that `write_outputs` writes for a source called `source_name` ("result" first); with
        `people` (the ids of a multi-person run) one file per person and format, `<stem>.person<ID>.<format>`
        under the kind `person<ID>.<format>`."""
        out, stem = Path(out_dir), output_stem(source_name)
        paths = {"result": out / f"{stem}.result.npz"} if result_file else {}
        if people:
            for person_id in people:
                paths.update({f"person{person_id}.{fmt}": out / f"{person_stem(stem, person_id)}.{fmt}"
                              for fmt in self.settings.exports})
        else:
            paths.update({fmt: out / f"{stem}.{fmt}" for fmt in self.settings.exports})
        return paths

    def repostprocessed(self, result: PipelineResult) -> PipelineResult:
        """`result` with everyone's motion made again from their lifted joints under this pipeline's settings
        (smoothing, world frame, ...): nothing is detected or lifted again."""
        import dataclasses

        if not result.people:
            return dataclasses.replace(result, motion=self.postprocess(result.joints, result.track, result.missing))
        motions = self.postprocess_people([(p.joints, p.track, p.missing) for p in result.people])
        people = [dataclasses.replace(p, motion=m) for p, m in zip(result.people, motions, strict=True)]
        return dataclasses.replace(result, motion=motions[0], people=people)

    # ------------------------------------------------------------------------------------------ live

    def live(self, source: str | Path | Frames, *, cancel: threading.Event | None = None,
             duration_s: float | None = None, record: str | Path | None = None,
             realtime: bool | None = None) -> LiveSession:
        """A live session (iterate it for `LiveUpdate`s): camera -> 2D -> streaming lift -> One-Euro, each part
        in its own thread (see `pipeline.live`).

        `record`: also write every incoming frame to this video file (for processing/export later).
        `realtime`: drop frames that arrive while busy (a camera; a file is replayed at its frame rate);
        None: only for live sources. Stops at the end of the source, after `duration_s` seconds, or when
        `cancel` is set.
        """
        frames = open_frames(source, self.settings.max_frames)
        try:
            lifter = self.lifter(live=True)
            detector = self.detector
        except BaseException:
            frames.close()
            raise
        return LiveSession(frames, detector, lifter, person=self.settings.person, flip=self.settings.flip,
                           realtime=realtime, record=record, duration_s=duration_s, cancel=cancel,
                           torch_threads=self.settings.torch_threads)


def import_runtimes(detector: str = "mediapipe") -> None:
    """Imports torch and the detector's runtime now. Importing a big extension module holds Python's GIL for up
    to a second (torch), which would freeze a GUI thread if it happened in a worker while the GUI draws: the
    app calls this at startup, before its window shows."""
    import motion
    import pstmo.lifter  # noqa: F401 - torch

    motion.preload()  # scipy.spatial

    if detector == "mediapipe":
        try:
            import ai_edge_litert.interpreter  # noqa: F401
        except ImportError:  # reported with an install hint when the detector is created
            pass


def person_track(detection: DetectionResult, person_id: int, max_gap: int) -> Track2D:
    """The `Track2D` of one more person of a multi-person run: built like the main person's (gaps up to `max_gap`
    interpolated) and cut to their span, from their first to their last detection (`extra["first_frame"]`)."""
    from detectors.tracker import build_track

    main = detection.track
    track = build_track(detection.tracks[person_id], len(main), main.image_size, main.fps, max_gap=max_gap,
                        source=main.source, detector=main.detector)
    return slice_track(track, *seen_span(track.missing))


def all_tracks(detection: DetectionResult) -> list[Track2D]:
    """Every tracked person of a `DetectionResult` as a `Track2D`, for drawing ids: the chosen person's own
    track, the others with only the frames between measurements filled (people outside the detector's focus
    are measured every few frames, see `Person.held`)."""
    from detectors.tracker import build_track

    chosen = detection.track
    tracks = []
    for track_id, record in sorted(detection.tracks.items()):
        if track_id == detection.target_id:
            tracks.append(chosen)
        elif record.length:
            tracks.append(build_track(record, len(chosen), chosen.image_size, chosen.fps, max_gap=HELD_GAP,
                                      source=chosen.source, detector=chosen.detector))
    return tracks or [chosen]


def torch_threads(count: int | None) -> int | None:
    """Sets torch's intra-op threads (None: leave as is); returns the previous count to restore later.

    One frame at a time is a tiny job: several threads only fight the detector's own threads for the cores.
    """
    if count is None:
        return None
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(int(count))
    return previous


class VideoRecorder:
    """Writes BGR frames to a video file (mp4v); the file appears complete only when closed (`pstmo.atomic`)."""

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        import cv2

        self.path = Path(path)
        self.file = PendingFile(self.path, create_folder=True, suffix=self.path.suffix or ".mp4")
        self.size = (int(size[0]), int(size[1]))
        self.writer = cv2.VideoWriter(str(self.file.temporary), cv2.VideoWriter_fourcc(*"mp4v"), float(fps or 30.0),
                                      self.size)
        if not self.writer.isOpened():
            self.file.discard()
            raise InputError(f"{path}: cannot write a video there")
        self.frames = 0

    def write(self, image: np.ndarray) -> None:
        if (image.shape[1], image.shape[0]) != self.size:
            import cv2

            image = cv2.resize(image, self.size)
        self.writer.write(image)
        self.frames += 1

    def close(self) -> None:
        self.writer.release()
        if self.frames:
            self.file.commit()
        else:
            self.file.discard()
