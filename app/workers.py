"""Background work for the GUI: offline processing and live mode run in QThreads; the GUI thread only draws.

Both workers report through Qt signals (queued across threads). The live worker never queues updates for
the GUI: it keeps only the newest one and signals when the GUI has drawn the previous one, so a slow GUI
never builds up latency and the GUI thread never has a backlog of frames to draw. torch and the detector
runtime are imported when this module is (app start-up), not in a worker: a big import holds the GIL and
would freeze the GUI thread for up to a second. The GIL switch interval is shortened (`GIL_SWITCH_S`).
"""

from __future__ import annotations

import sys
import threading
import traceback

from PyQt5 import QtCore

from pipeline.pipeline import Cancelled, Pipeline, import_runtimes
from pstmo.errors import InputError

import_runtimes()
GIL_SWITCH_S = 0.001
"""Python hands its GIL between threads at least this often (default 5 ms). Every Qt call the GUI thread makes
from Python gives the GIL up and takes it back; with busy worker threads each take-back waited up to the
interval, and a paint of a few hundred calls stalled the GUI thread for over 100 ms (measured with
benchmarks/gui_stall.py: live mode p99 108 -> 63 ms)."""
sys.setswitchinterval(GIL_SWITCH_S)


def readable_error(error: BaseException) -> str:
    """One line for the user: InputError and OS errors as they are, anything else with its type."""
    if isinstance(error, InputError | OSError | ValueError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class ProcessWorker(QtCore.QThread):
    """Runs `Pipeline.process(source, out_dir)`; emits progress(stage, done, total), then done or failed."""

    progress = QtCore.pyqtSignal(str, int, int)
    done = QtCore.pyqtSignal(object)
    failed = QtCore.pyqtSignal(str)
    cancelled = QtCore.pyqtSignal()

    def __init__(self, pipeline: Pipeline, source: object, out_dir: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.pipeline = pipeline
        self.source = source
        self.out_dir = out_dir
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        try:
            result = self.pipeline.process(self.source, self.out_dir, cancel=self.cancel_event,
                                           progress=lambda s, d, t: self.progress.emit(s, d, -1 if t is None else t))
        except Cancelled:
            self.cancelled.emit()
        except Exception as error:  # noqa: BLE001 - every failure becomes a message, never a crash
            if not isinstance(error, InputError | OSError | ValueError):
                traceback.print_exc()
            self.failed.emit(readable_error(error))
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
            if not isinstance(error, InputError | OSError | ValueError):
                traceback.print_exc()
            self.failed.emit(readable_error(error))
        else:
            self.done.emit(result)


class LiveWorker(QtCore.QThread):
    """Runs `Pipeline.live(source, realtime=True)`: a video file is replayed at its frame rate, as if it were a
    camera, and frames that arrive while the pipeline is busy are dropped (counted in `LiveUpdate.dropped`).
    Emits `update(LiveUpdate)` with the newest update whenever the GUI has handled the previous one
    (`handled()`); updates that arrive meanwhile replace the waiting one (the tracker and lifter still see
    every processed frame; `dropped` here counts updates not drawn)."""

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
        try:
            for item in self.pipeline.live(self.source, cancel=self.cancel_event, record=self.record,
                                           duration_s=self.duration_s, realtime=True):
                self.frames += 1
                with self._lock:
                    if self._busy:
                        self.dropped += self._waiting is not None
                        self._waiting = item
                        continue
                    self._busy = True
                self.update.emit(item)
        except Exception as error:  # noqa: BLE001
            if not isinstance(error, InputError | OSError | ValueError):
                traceback.print_exc()
            self.failed.emit(readable_error(error))
        self.stopped.emit(self.frames)
