"""`PrefetchSource`: decodes the next frames in a background thread while the detector works on this one."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

_END = object()


class PrefetchSource:
    """Wraps a frame source; keeps at most `depth` decoded frames waiting (bounded memory).

    Same `fps`, `image_size`, `frame_count`, `name`, `frames_read`, `truncated` as the wrapped source.
    An error while decoding is raised in the consuming thread, at the frame where it happened.
    """

    def __init__(self, source: Any, depth: int = 4) -> None:
        self.source = source
        self.depth = max(int(depth), 1)
        self.fps = source.fps
        self.image_size = source.image_size
        self.frame_count = getattr(source, "frame_count", None)
        self.name = getattr(source, "name", "source")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def frames_read(self) -> int:
        return int(getattr(self.source, "frames_read", 0))

    @property
    def truncated(self) -> bool:
        return bool(getattr(self.source, "truncated", False))

    def _produce(self, out: queue.Queue) -> None:
        try:
            for frame in self.source:
                while not self._stop.is_set():
                    try:
                        out.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            item: Any = _END
        except BaseException as error:  # noqa: BLE001 - handed to the consumer
            item = error
        while not self._stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[Any]:
        self._stop.clear()
        frames: queue.Queue = queue.Queue(maxsize=self.depth)
        self._thread = threading.Thread(target=self._produce, args=(frames,), name="frame-prefetch", daemon=True)
        self._thread.start()
        try:
            while True:
                item = frames.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._stop.set()
            self._thread.join(timeout=5)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.source.close()

    def __enter__(self) -> PrefetchSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
