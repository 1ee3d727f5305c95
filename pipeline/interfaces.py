"""What the pipeline needs from its parts, as typed Protocols (any object with these members will do).

- `Frames`: a frame source (`pipeline.sources.FrameSource` and its wrappers): iterable of `Frame`s.
- `Lifter` / `LiftStream`: `pstmo.Lifter` offline and its streaming form for live mode.
- The 2D part is `detectors.base.Detector` (an ABC: `detect`, `set_focus`, `reset`, `close`); the tracker's
  per-frame output is `detectors.tracker.TrackedPerson`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol, runtime_checkable

import numpy as np

from pipeline.sources import Frame


@runtime_checkable
class Frames(Protocol):
    """A source of frames: `fps`, `image_size` (width, height), `frame_count` (None: live, unknown length),
    `name`, `frames_read`, `truncated`, iteration and `close()`."""

    @property
    def fps(self) -> float: ...

    @property
    def image_size(self) -> tuple[int, int]: ...

    @property
    def frame_count(self) -> int | None: ...

    @property
    def name(self) -> str: ...

    @property
    def frames_read(self) -> int: ...

    @property
    def truncated(self) -> bool: ...

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...


class LiftStream(Protocol):
    """Frame-by-frame lifting (`pstmo.lifter.LiftStream`): push (17, 2) px, get [(frame, (17, 3) m)] back."""

    def push(self, keypoints_2d: np.ndarray) -> list[tuple[int, np.ndarray]]: ...

    def flush(self) -> list[tuple[int, np.ndarray]]: ...


class Lifter(Protocol):
    """2D -> 3D (`pstmo.Lifter`): whole sequences offline, or a stream for live mode."""

    @property
    def delay(self) -> int: ...

    @property
    def receptive_field(self) -> int: ...

    def lift(self, keypoints_2d: np.ndarray, image_size: tuple[float, float], confidence: np.ndarray | None = None,
             flip: bool = True, batch_size: int | None = None, progress: Callable[..., Any] | None = None,
             cancel: threading.Event | None = None, frames: np.ndarray | None = None) -> np.ndarray: ...

    def lift_sequences(self, sequences: list[np.ndarray], image_size: tuple[float, float], flip: bool = True,
                       batch_size: int | None = None, progress: Callable[..., Any] | None = None,
                       cancel: threading.Event | None = None) -> list[np.ndarray]: ...

    def stream(self, image_size: tuple[float, float], flip: bool = True) -> LiftStream: ...

    def push_streams(self, streams: list[LiftStream], keypoints: list[np.ndarray]
                     ) -> list[list[tuple[int, np.ndarray]]]: ...
