"""Frame sources: video file, image folder, single image, webcam, and in-memory frames for tests.

Every source is an iterable of `Frame(index, time_s, image)` with `image` a (H, W, 3) BGR uint8 array,
and has `fps`, `image_size` (width, height) pixels, `frame_count` (None when unknown, e.g. live),
`name`, `frames_read` and `close()`; use it as a context manager. Frames are read one at a time (a video
is streamed, never loaded whole). Bad input raises `pstmo.errors.InputError` with one line naming the file
when the source is opened; a damaged video (cut short, or a packet that no longer decodes) yields the frames
it could decode and stops (`frames_read` says how many, `truncated` whether it ended before `frame_count`,
and `short_read_message` is the one wording every report uses: "read K of N frames").

`open_source(spec)` picks the source: "webcam:N" (or "webcam") for camera N, a folder of images, an
image file, else a video file. `LimitedSource(source, n)` stops any source after its first n frames.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from pstmo.errors import InputError

if TYPE_CHECKING:
    from pipeline.interfaces import Frames

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_FPS = 30.0


@dataclass
class Frame:
    """One frame: `index` from 0, `time_s` seconds from the start, `image` (H, W, 3) BGR uint8."""

    index: int
    time_s: float
    image: np.ndarray


class FrameSource(ABC):
    """Iterable of `Frame`s with the stream's fps, image size and (when known) frame count."""

    def __init__(self) -> None:
        self.frames_read = 0
        self.truncated = False
        # Set by each subclass's __init__:
        self._fps: float = DEFAULT_FPS
        self._size: tuple[int, int] = (0, 0)
        self._count: int | None = None
        self._name: str = ""

    @property
    def fps(self) -> float:
        """Frames per second (DEFAULT_FPS when the file does not say)."""
        return self._fps

    @property
    def image_size(self) -> tuple[int, int]:
        """(width, height) pixels of the frames, after any rotation the file asks for."""
        return self._size

    @property
    def frame_count(self) -> int | None:
        """Number of frames, or None when unknown (a live camera)."""
        return self._count

    @property
    def name(self) -> str:
        """What the frames come from, for messages and results (a path or "webcam:0")."""
        return self._name

    @abstractmethod
    def _frames(self) -> Iterator[np.ndarray]:
        """The images, in order; stops at the end (or where the input breaks off)."""

    def __iter__(self) -> Iterator[Frame]:
        self.frames_read = 0
        fps = self.fps
        for index, image in enumerate(self._frames()):
            self.frames_read = index + 1
            yield Frame(index=index, time_s=index / fps, image=image)
        count = self.frame_count
        self.truncated = count is not None and self.frames_read < count

    def close(self) -> None:
        """Release the file or camera."""
        return None

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        count = self.frame_count
        if count is None:
            raise TypeError(f"{self.name}: a live source has no length")
        return count


def short_read_message(name: str, frames_read: int, frame_count: int | None) -> str | None:
    """`NAME: read K of N frames ...` when fewer frames decoded than the file declares, else None.

    The CLI warnings, the pipeline summary and the GUI all report a damaged video in these words.
    """
    if frame_count is None or frames_read >= frame_count:
        return None
    return (f"{name}: read {frames_read} of {frame_count} frames; the video is damaged or cut short, "
            "so only those were used")


def _check_file(path: Path, what: str) -> None:
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected {what}")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes), expected {what}")


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """Any cv2-decoded image as (H, W, 3) BGR uint8."""
    if image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _open_capture(capture: cv2.VideoCapture, no_frame: str) -> tuple[np.ndarray, tuple[int, int], float]:
    """(first frame BGR, (width, height), fps) of an opened capture; fps is DEFAULT_FPS when the stream gives
    none or an implausible one. Releases the capture and raises InputError(`no_frame`) when no frame comes."""
    ok, first = capture.read()
    if not ok or first is None:
        capture.release()
        raise InputError(no_frame)
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    return _as_bgr(first), (int(first.shape[1]), int(first.shape[0])), (
        fps if math.isfinite(fps) and 0.5 < fps < 1000 else DEFAULT_FPS)


@contextmanager
def _quiet_opencv() -> Iterator[None]:
    """OpenCV's own log lines off: a broken file is reported once, by our InputError or warning."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


def _open_video(path: Path) -> cv2.VideoCapture:
    """A capture of the video file at `path` through FFmpeg (OpenCV's fallback readers print to stderr)."""
    with _quiet_opencv():
        capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if capture.isOpened():
        capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return capture


def _read_image(path: Path) -> np.ndarray | None:
    """The image at `path` as BGR, or None when it cannot be read or decoded."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    with _quiet_opencv():
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    return None if image is None else _as_bgr(image)


class VideoFileSource(FrameSource):
    """Frames of a video file, decoded by OpenCV one at a time; the file's rotation flag is applied."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        _check_file(self.path, "a video")
        self._capture = _open_video(self.path)
        if not self._capture.isOpened():
            raise InputError(f"{self.path}: not a readable video (OpenCV could not open it)")
        self._first: np.ndarray | None
        self._first, self._size, self._fps = _open_capture(
            self._capture, f"{self.path}: not a readable video (no frame could be decoded)")
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self._count = count if count > 0 else None
        self.rotation_deg = int(self._capture.get(cv2.CAP_PROP_ORIENTATION_META) or 0)
        self._name = str(self.path)
        self._used = False

    def _frames(self) -> Iterator[np.ndarray]:
        if self._capture is None:
            raise InputError(f"{self.path}: video source used after close()")
        if self._used:  # a second pass: start again from the first frame
            self._capture.release()
            self._capture = _open_video(self.path)
            ok, first = self._capture.read()
            self._first = _as_bgr(first) if ok and first is not None else None
        self._used = True
        if self._first is None:
            return
        first, self._first = self._first, None
        yield first
        while True:
            try:
                ok, image = self._capture.read()
            except cv2.error:  # a corrupt packet: keep what was read
                return
            if not ok or image is None:
                return
            image = _as_bgr(image)
            if (image.shape[1], image.shape[0]) != self._size:
                image = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
            yield image

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


class ImageFolderSource(FrameSource):
    """The images of a folder (sorted by name, numbers in natural order) as a video at `fps`.

    An image that cannot be decoded comes back as a black frame (the detector then finds nobody there) and
    its path is listed in `unreadable`; images of another size are resized to the first image's size.
    """

    def __init__(self, path: str | Path, fps: float = DEFAULT_FPS) -> None:
        super().__init__()
        self.path = Path(path)
        if not self.path.is_dir():
            raise InputError(f"{self.path}: folder not found")
        self.files = sorted((p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS),
                            key=_natural_key)
        if not self.files:
            raise InputError(f"{self.path}: no images ({', '.join(IMAGE_EXTENSIONS)}) in this folder")
        if not (math.isfinite(fps) and fps > 0):
            raise InputError(f"{self.path}: fps must be a positive number; got {fps}")
        self._fps = float(fps)
        first = next((image for image in map(_read_image, self.files) if image is not None), None)
        if first is None:
            raise InputError(f"{self.path}: none of the {len(self.files)} images could be decoded")
        self._size = (int(first.shape[1]), int(first.shape[0]))
        self.unreadable: list[Path] = []
        self._count = len(self.files)
        self._name = str(self.path)

    def _frames(self) -> Iterator[np.ndarray]:
        self.unreadable = []
        width, height = self._size
        for path in self.files:
            image = _read_image(path)
            if image is None:
                self.unreadable.append(path)
                image = np.zeros((height, width, 3), dtype=np.uint8)
            elif (image.shape[1], image.shape[0]) != self._size:
                image = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
            yield image


class ImageSource(FrameSource):
    """One image file as a one-frame source (fps is nominal)."""

    def __init__(self, path: str | Path, fps: float = DEFAULT_FPS) -> None:
        super().__init__()
        self.path = Path(path)
        _check_file(self.path, "an image")
        self._image = _read_image(self.path)
        if self._image is None:
            raise InputError(f"{self.path}: not a readable image")
        self._fps = float(fps)
        self._size = (int(self._image.shape[1]), int(self._image.shape[0]))
        self._count = 1
        self._name = str(self.path)

    def _frames(self) -> Iterator[np.ndarray]:
        yield self._image


class WebcamSource(FrameSource):
    """Live frames from camera `device`; `size` (width, height) asks the camera for a resolution."""

    def __init__(self, device: int = 0, size: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.device = int(device)
        self._name = f"webcam:{self.device}"
        self._capture = cv2.VideoCapture(self.device)
        if not self._capture.isOpened():
            raise InputError(f"webcam:{self.device}: camera could not be opened")
        if size is not None:
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, int(size[0]))
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, int(size[1]))
        self._first: np.ndarray | None
        self._first, self._size, self._fps = _open_capture(
            self._capture, f"webcam:{self.device}: camera opened but sent no frame")

    def _frames(self) -> Iterator[np.ndarray]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        while self._capture is not None:
            ok, image = self._capture.read()
            if not ok or image is None:
                return
            yield _as_bgr(image)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class FakeSource(FrameSource):
    """In-memory frames (a list or a generator of (H, W, 3) BGR uint8 arrays), for tests and demos.

    `frame_count` is the list's length, or None for a generator.
    """

    def __init__(self, frames: Iterable[np.ndarray], fps: float = DEFAULT_FPS, name: str = "fake") -> None:
        super().__init__()
        self._fps = float(fps)
        self._name = name
        if isinstance(frames, (list, tuple)):
            if not frames:
                raise InputError(f"{name}: no frames")
            self._frames_list: list[np.ndarray] | None = list(frames)
            self._iterator: Iterator[np.ndarray] | None = None
            first = self._frames_list[0]
        else:
            self._frames_list = None
            self._iterator = iter(frames)
            try:
                first = next(self._iterator)
            except StopIteration:
                raise InputError(f"{name}: no frames") from None
            self._first: np.ndarray | None = first
        first = np.asarray(first)
        if first.ndim != 3 or first.shape[2] != 3:
            raise InputError(f"{name}: frames must be (H, W, 3) BGR images; got shape {first.shape}")
        self._size = (int(first.shape[1]), int(first.shape[0]))
        self._count = None if self._frames_list is None else len(self._frames_list)

    def _frames(self) -> Iterator[np.ndarray]:
        if self._frames_list is not None:
            yield from (np.asarray(f) for f in self._frames_list)
            return
        if self._first is not None:
            first, self._first = self._first, None
            yield np.asarray(first)
        yield from (np.asarray(f) for f in self._iterator)


def open_source(spec: str | Path, fps: float | None = None) -> FrameSource:
    """The frame source for `spec`: "webcam" / "webcam:N", a folder of images, an image file or a video file.

    `fps` applies to image folders (default 30); videos and cameras report their own.
    """
    text = str(spec)
    match = re.fullmatch(r"webcam(?::(\d+))?", text.strip())
    if match:
        return WebcamSource(int(match.group(1) or 0))
    path = Path(text).expanduser()
    if path.is_dir():
        return ImageFolderSource(path, fps=fps or DEFAULT_FPS)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return ImageSource(path)
    return VideoFileSource(path)


class LimitedSource:
    """A frame source cut to its first `max_frames` frames (same fps, size and name as the wrapped one).

    `frame_count` is `max_frames` for a live source, else the smaller of the two; closing it closes the
    wrapped source.
    """

    def __init__(self, source: Frames, max_frames: int) -> None:
        self.source = source
        self.max_frames = int(max_frames)
        self.fps = source.fps
        self.image_size = source.image_size
        count = source.frame_count
        self.frame_count = min(count, self.max_frames) if count else self.max_frames
        self.name = source.name

    @property
    def frames_read(self) -> int:
        return min(self.source.frames_read, self.max_frames)

    @property
    def truncated(self) -> bool:
        return self.source.truncated

    def __iter__(self) -> Iterator[Frame]:
        for n, frame in enumerate(self.source):
            if n >= self.max_frames:
                break
            yield frame

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> LimitedSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
