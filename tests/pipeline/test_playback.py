"""FrameReader gives any frame by index, from a video or an image folder, for scrubbing in the GUI."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.playback import FrameReader
from pstmo.errors import InputError
from tests.pipeline.helpers import write_video


def numbered_frames(count: int) -> list[np.ndarray]:
    return [np.full((48, 64, 3), 10 * n, dtype=np.uint8) for n in range(count)]


def test_video_frames_come_back_by_index_in_any_order(tmp_path):
    reader = FrameReader(write_video(tmp_path / "v.mp4", numbered_frames(12)))
    assert reader.frame_count == 12
    for index in (0, 1, 2, 9, 3, 11):
        assert abs(int(reader.read(index).mean()) - 10 * index) <= 3
    assert reader.read(12) is None and reader.read(-1) is None
    reader.close()


def test_image_folder_frames_come_back_by_index(tmp_path):
    for n, image in enumerate(numbered_frames(3)):
        cv2.imwrite(str(tmp_path / f"{n:03d}.png"), image)
    reader = FrameReader(tmp_path)
    assert reader.frame_count == 3
    assert int(reader.read(2).mean()) == 20


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="nothing.mp4"):
        FrameReader(tmp_path / "nothing.mp4")
