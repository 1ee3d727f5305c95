"""Background work for the GUI: offline processing and live mode run in QThreads; the GUI thread only draws.

Both workers report through Qt signals (queued across threads); a failure becomes one line for the GUI by
`pstmo.errors.one_line` (bad input as its message, anything else as a bug), with the traceback on stderr only
when PSTMO_DEBUG is set. The live worker drops frames rather than
queue them: at most `MAX_PENDING` updates wait for the GUI, so a slow GUI never builds up latency.
"""

from __future__ import annotations

import threading
import time
import traceback

import numpy as np
from PyQt5 import QtCore

from detectors.base import Detector, Person, to_h36m
from pipeline.pipeline import Cancelled, Pipeline
from pstmo.errors import debugging, one_line

MAX_PENDING = 2
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
    """Runs `Pipeline.live(source)`; emits `update(LiveUpdate)` for at most MAX_PENDING unhandled frames.

    The GUI calls `handled()` after drawing each update; frames arriving while the GUI is behind are
    processed (the tracker and lifter see every frame) but not drawn.
    """

    update = QtCore.pyqtSignal(object)
    failed = QtCore.pyqtSignal(str)
    stopped = QtCore.pyqtSignal(int)

    def __init__(self, pipeline: Pipeline, source: object, record: str | None = None,
                 duration_s: float | None = None, parent=None) -> None:
        super().__init__(parent)
        self.pipeline = pipeline
        self.source = source
        self.record = record
        self.duration_s = duration_s
        self.cancel_event = threading.Event()
        self._pending = 0
        self._lock = threading.Lock()
        self.frames = 0
        self.dropped = 0

    def cancel(self) -> None:
        self.cancel_event.set()

    def handled(self) -> None:
        with self._lock:
            self._pending = max(self._pending - 1, 0)

    def run(self) -> None:
        try:
            for item in self.pipeline.live(self.source, cancel=self.cancel_event, record=self.record,
                                           duration_s=self.duration_s):
                self.frames += 1
                with self._lock:
                    if self._pending >= MAX_PENDING:
                        self.dropped += 1
                        continue
                    self._pending += 1
                self.update.emit(item)
        except Exception as error:  # noqa: BLE001
            self.failed.emit(failure_message(error))
        self.stopped.emit(self.frames)
