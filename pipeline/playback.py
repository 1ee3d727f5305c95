"""Random access to the frames of a video file, image folder or image, for scrubbing in a viewer.

The pipeline streams frames once; a viewer needs frame N on demand. Sequential reads are cheap, seeks
cost a decoder reset, so `read(index)` reads on when asked for the next frame and seeks otherwise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pstmo.errors import InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class FrameReader:
    """Frames of `path` by index: `read(index) -> (H, W, 3) BGR uint8` or None past the end."""

    def __init__(self, path: str | Path) -> None:
        import cv2

        self.path = Path(path)
        self._cv2 = cv2
        self._capture = None
        self._images: list[Path] = []
        self._next = 0
        if self.path.is_dir():
            self._images = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not self._images:
                raise InputError(f"{self.path}: folder has no images")
            self.fps = 30.0
            self.frame_count = len(self._images)
        elif self.path.suffix.lower() in IMAGE_SUFFIXES:
            self._images = [self.path]
            self.fps = 30.0
            self.frame_count = 1
        else:
            if not self.path.is_file():
                raise InputError(f"{self.path}: file not found")
            self._capture = cv2.VideoCapture(str(self.path))
            if not self._capture.isOpened():
                raise InputError(f"{self.path}: cannot open as a video")
            self.fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 30.0)
            self.frame_count = max(int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)

    def read(self, index: int) -> np.ndarray | None:
        if index < 0:
            return None
        if self._images:
            if index >= len(self._images):
                return None
            return self._cv2.imread(str(self._images[index]), self._cv2.IMREAD_COLOR)
        if self._capture is None:
            return None
        if index != self._next:
            self._capture.set(self._cv2.CAP_PROP_POS_FRAMES, index)
        ok, image = self._capture.read()
        self._next = index + 1 if ok else -1
        return image if ok else None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None
