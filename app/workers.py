"""Background work for the GUI: offline processing and live mode run in QThreads; the GUI thread only draws.

Both workers report through Qt signals (queued across threads); a failure becomes one line for the GUI by
`pstmo.errors.one_line` (bad input as its message, anything else as a bug), with the traceback on stderr only
when PSTMO_DEBUG is set. The live worker never queues updates for the GUI: it keeps only the newest one and
signals when the GUI has drawn the previous one, so a slow GUI never builds up latency and the GUI thread
never has a backlog of frames to draw. torch and the detector runtime are imported when this module is (app
start-up), not in a worker: a big import holds the GIL and would freeze the GUI thread for up to a second.
The GIL switch interval is shortened (`GIL_SWITCH_S`).
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Sequence

import numpy as np
from PyQt5 import QtCore

from detectors.base import Detector, Person, to_h36m
from pipeline.pipeline import Cancelled, Pipeline, import_runtimes
from pstmo.errors import debugging, one_line

import_runtimes()
GIL_SWITCH_S = 0.001
"""Python hands its GIL between threads at least this often (default 5 ms). Every Qt call the GUI thread makes
from Python gives the GIL up and takes it back; with busy worker threads each take-back waited up to the
interval, and a paint of a few hundred calls stalled the GUI thread for over 100 ms (measured with
benchmarks/gui_stall.py: live mode p99 108 -> 63 ms)."""
sys.setswitchinterval(GIL_SWITCH_S)
PREVIEW_WIDTH = 960
"""Preview frames sent to the window while processing are scaled down to at most this width (pixels)."""


def failure_message(error: BaseException) -> str:
    """The one line the GUI shows for `error` (`pstmo.errors.one_line`); PSTMO_DEBUG=1 also prints the traceback."""
    if debugging():
        traceback.print_exception(error)
    return one_line(error)


class PreviewDetector(Detector):
    """Wraps the pipeline's detector: every `interval_s` it also hands the frame it was given (scaled to at most
    `PREVIEW_WIDTH` px) and the people it found to `show(image, people (H36M px of the original), (w, h))`."""

    def __init__(self, inner: Detector, show, interval_s: float) -> None:
        self.inner, self.show, self.interval_s = inner, show, float(interval_s)
        self.name, self.layout = inner.name, inner.layout
        self._last = 0.0

    def reset(self) -> None:
        self.inner.reset()

    def set_focus(self, boxes: Sequence[np.ndarray] | None) -> None:
        self.inner.set_focus(boxes)  # the tracking loop's focus reaches the real backend

    def detect(self, image_bgr: np.ndarray) -> list[Person]:
        people = self.inner.detect(image_bgr)
        now = time.perf_counter()
        if now - self._last >= self.interval_s:
            self._last = now
            height, width = image_bgr.shape[:2]
            image = image_bgr
            if width > PREVIEW_WIDTH:
                import cv2

                image = cv2.resize(image_bgr, (PREVIEW_WIDTH, round(height * PREVIEW_WIDTH / width)),
                                   interpolation=cv2.INTER_AREA)
            self.show(image.copy(), [(None, *to_h36m(person)) for person in people], (width, height))
        return people


class ProcessWorker(QtCore.QThread):
    """Runs `Pipeline.process(source, out_dir)`; emits progress(stage, done, total), then done or failed.

    With `preview_s`, it also emits `preview(image, people, (w, h))` about every `preview_s` seconds while
    detecting (see `PreviewDetector`), so the window can show the frames being processed.
    """

    progress = QtCore.pyqtSignal(str, int, int)
    preview = QtCore.pyqtSignal(object, object, object)
    done = QtCore.pyqtSignal(object)
    failed = QtCore.pyqtSignal(str)
    cancelled = QtCore.pyqtSignal()

    def __init__(self, pipeline: Pipeline, source: object, out_dir: str | None = None, parent=None,
                 preview_s: float | None = None) -> None:
        super().__init__(parent)
        self.pipeline = pipeline
        self.source = source
        self.out_dir = out_dir
        self.preview_s = preview_s
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        self.cancel_event.set()

    def _previewing(self) -> Pipeline:
        """The pipeline with its detector wrapped in a `PreviewDetector` (models load here, off the GUI thread,
        and stay cached in `self.pipeline`)."""
        lifter = self.pipeline.lifter()
        show = lambda image, people, size: self.preview.emit(image, people, size)  # noqa: E731
        return Pipeline(self.pipeline.settings, lifter=lifter,
                        detector=PreviewDetector(self.pipeline.detector, show, self.preview_s))

    def run(self) -> None:
        try:
            pipeline = self._previewing() if self.preview_s else self.pipeline
            result = pipeline.process(self.source, self.out_dir, cancel=self.cancel_event,
                                      progress=lambda s, d, t: self.progress.emit(s, d, -1 if t is None else t))
        except Cancelled:
            self.cancelled.emit()
        except Exception as error:  # noqa: BLE001 - every failure becomes a message, never a crash
            self.failed.emit(failure_message(error))
        else:
            if self.cancel_event.is_set():
                self.cancelled.emit()
            else:
                self.done.emit(result)


class CallWorker(QtCore.QThread):
    """Runs `function()` off the GUI thread (e.g. an export); emits done(result) or failed(message)."""

    done = QtCore.pyqtSignal(object)
    failed = QtCore.pyqtSignal(str)

    def __init__(self, function, parent=None) -> None:
        super().__init__(parent)
        self.function = function

    def run(self) -> None:
        try:
            result = self.function()
        except Exception as error:  # noqa: BLE001
            self.failed.emit(failure_message(error))
        else:
            self.done.emit(result)


class LiveWorker(QtCore.QThread):
    """Runs `Pipeline.live(source, realtime=True)`: a video file is replayed at its frame rate, as if it were a
    camera, and frames that arrive while the pipeline is busy are dropped (counted in `LiveUpdate.dropped`).
    Emits `update(LiveUpdate)` with the newest update whenever the GUI has handled the previous one
    (`handled()`); updates that arrive meanwhile replace the waiting one (the tracker and lifter still see
    every processed frame; `dropped` here counts updates not drawn).

    A recorded take (`record`) is also kept (`pipeline.live_capture`): when it ends, `captured(result, path)`
    gives the same `PipelineResult` that processing the recording would show (before `stopped`)."""

    update = QtCore.pyqtSignal(object)
    failed = QtCore.pyqtSignal(str)
    captured = QtCore.pyqtSignal(object, str)
    stopped = QtCore.pyqtSignal(int)

    def __init__(self, pipeline: Pipeline, source: object, record: str | None = None,
                 duration_s: float | None = None, parent=None) -> None:
        super().__init__(parent)
        self.pipeline = pipeline
        self.source = source
        self.record = record
        self.duration_s = duration_s
        self.cancel_event = threading.Event()
        self._lock = threading.Lock()
        self._waiting = None  # the newest update not sent to the GUI yet
        self._busy = False  # an update is with the GUI
        self.frames = 0
        self.dropped = 0

    def cancel(self) -> None:
        self.cancel_event.set()

    def handled(self) -> None:
        """Called by the GUI after drawing an update: sends the newest one waiting, if any."""
        with self._lock:
            item, self._waiting = self._waiting, None
            self._busy = item is not None
        if item is not None:  # on the next turn of the event loop, after the GUI has painted
            QtCore.QTimer.singleShot(0, lambda: self.update.emit(item))

    def run(self) -> None:
        from pipeline.live_capture import LiveCapture, capture_result

        try:
            session = self.pipeline.live(self.source, cancel=self.cancel_event, record=self.record,
                                         duration_s=self.duration_s, realtime=True)
            capture = LiveCapture.of(session, name=self.record) if self.record else None
            for item in session:
                self.frames += 1
                if capture is not None:
                    capture.add(item)
                with self._lock:
                    if self._busy:
                        self.dropped += self._waiting is not None
                        self._waiting = item
                        continue
                    self._busy = True
                self.update.emit(item)
            if capture is not None and capture.kept_people():
                self.captured.emit(capture_result(self.pipeline, capture), str(self.record))
        except Exception as error:  # noqa: BLE001
            self.failed.emit(failure_message(error))
        self.stopped.emit(self.frames)
