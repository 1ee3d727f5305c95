"""`FrameLoader`: decodes the frames the window asks for in a background thread, so scrubbing a long video never
blocks the GUI (a seek in a video with few keyframes can take a second).

`request(index)` asks for a frame; the newest request wins (frames asked for while the decoder was busy are
skipped). `frameReady(index, image)` delivers it on the GUI thread. Recently decoded frames are kept, scaled
down to at most `MAX_CACHED_WIDTH` pixels wide, so stepping back and forth is instant.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from PyQt5 import QtCore

from app.workers import failure_message
from pipeline.playback import FrameReader

CACHE_FRAMES = 24
MAX_CACHED_WIDTH = 1280


class FrameLoader(QtCore.QObject):
    """Frames of one video, image folder or image by index (see the module docstring).

    `opened(fps, frame_count)` or `failed(message)` follow the constructor; the file is opened in the
    decoding thread too.
    """

    frameReady = QtCore.pyqtSignal(int, object)  # noqa: N815 (Qt signal name)
    opened = QtCore.pyqtSignal(float, int)
    failed = QtCore.pyqtSignal(str)

    def __init__(self, path: str, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.path = str(path)
        self._wanted: int | None = None
        self._wake = threading.Condition()
        self._closed = False
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="frame-loader", daemon=True)
        self._thread.start()

    def request(self, index: int) -> None:
        """Ask for frame `index`; a cached frame is delivered at once (before this returns)."""
        index = int(index)
        with self._cache_lock:
            cached = self._cache.get(index)
            if cached is not None:
                self._cache.move_to_end(index)
        if cached is not None:
            self.frameReady.emit(index, cached)
            return
        with self._wake:
            self._wanted = index
            self._wake.notify()

    def cached(self, index: int) -> np.ndarray | None:
        with self._cache_lock:
            return self._cache.get(int(index))

    def close(self, wait_s: float = 2.0) -> None:
        """Stops the decoding thread; waits at most `wait_s` (0: not at all, it ends after its current frame)."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        with self._cache_lock:
            self._cache.clear()
        if wait_s > 0 and threading.current_thread() is not self._thread:
            self._thread.join(wait_s)

    def _run(self) -> None:
        try:
            reader = FrameReader(self.path)
        except Exception as error:  # noqa: BLE001 - any failure becomes a message (the error rule's one line)
            self.failed.emit(failure_message(error))
            return
        self.opened.emit(float(reader.fps), int(reader.frame_count))
        try:
            while True:
                with self._wake:
                    while self._wanted is None and not self._closed:
                        self._wake.wait()
                    if self._closed:
                        return
                    index, self._wanted = self._wanted, None
                try:
                    image = reader.read(index)
                except Exception:  # noqa: BLE001 - a frame that cannot be decoded shows as missing
                    image = None
                if image is None:
                    continue
                image = _shrink(image)
                if self._closed:
                    return
                with self._cache_lock:
                    self._cache[index] = image
                    while len(self._cache) > CACHE_FRAMES:
                        self._cache.popitem(last=False)
                self.frameReady.emit(index, image)
        finally:
            reader.close()


def _shrink(image: np.ndarray) -> np.ndarray:
    """At most `MAX_CACHED_WIDTH` wide (keypoints are drawn in the original's pixels, scaled by the view)."""
    height, width = image.shape[:2]
    if width <= MAX_CACHED_WIDTH:
        return image
    import cv2

    scale = MAX_CACHED_WIDTH / width
    return cv2.resize(image, (MAX_CACHED_WIDTH, max(int(round(height * scale)), 1)), interpolation=cv2.INTER_AREA)
