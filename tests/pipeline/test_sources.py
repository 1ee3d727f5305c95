"""Frame sources: streaming, metadata, and one-line errors for bad input."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.sources import (
    FakeSource,
    Frame,
    ImageFolderSource,
    ImageSource,
    VideoFileSource,
    open_source,
)
from pstmo.errors import InputError


def _write_video(path: Path, frames: int = 12, size=(64, 48), fps: float = 10.0, codec: str = "MJPG") -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size)
    for i in range(frames):
        image = np.full((size[1], size[0], 3), 10 + 8 * i, dtype=np.uint8)
        cv2.putText(image, str(i), (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 255), 2)
        writer.write(image)
    writer.release()
    return path


def test_video_file_source_streams_every_frame_with_its_metadata(tmp_path):
    path = _write_video(tmp_path / "clip.avi", frames=12, size=(64, 48), fps=10.0)
    with VideoFileSource(path) as source:
        assert source.fps == pytest.approx(10.0)
        assert source.image_size == (64, 48)
        assert source.frame_count == 12
        frames = list(source)
    assert [f.index for f in frames] == list(range(12))
    assert frames[3].time_s == pytest.approx(0.3)
    assert all(f.image.shape == (48, 64, 3) and f.image.dtype == np.uint8 for f in frames)
    assert frames[0].image.mean() < frames[-1].image.mean()  # in order
    assert source.frames_read == 12 and not source.truncated


def test_video_file_source_can_be_iterated_twice(tmp_path):
    path = _write_video(tmp_path / "clip.mp4", frames=5, codec="mp4v")
    with VideoFileSource(path) as source:
        assert len(list(source)) == 5
        assert len(list(source)) == 5


def _set_rotation_90(path: Path) -> None:
    """Write a 90-degree display matrix into the MP4's track header (what phones do for portrait video)."""
    data = bytearray(path.read_bytes())
    tkhd = data.find(b"tkhd")
    assert tkhd > 0 and data[tkhd + 4] == 0  # version 0 header
    matrix = tkhd + 4 + 4 + 20 + 8 + 8
    assert struct.unpack(">9i", data[matrix:matrix + 36]) == (65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30)
    data[matrix:matrix + 36] = struct.pack(">9i", 0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))


def test_video_rotation_metadata_is_applied(tmp_path):
    path = tmp_path / "portrait.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (64, 48))
    for _ in range(3):
        image = np.zeros((48, 64, 3), dtype=np.uint8)
        image[:10, :20] = 255  # a mark in the top-left corner
        writer.write(image)
    writer.release()
    _set_rotation_90(path)
    with VideoFileSource(path) as source:
        frames = list(source)
    assert source.image_size == (48, 64) and source.rotation_deg == 90
    assert frames[0].image.shape == (64, 48, 3)
    rows, cols = np.nonzero(frames[0].image[:, :, 0] > 128)
    assert rows.max() < 24 and cols.min() > 24  # turned clockwise: the mark is now top-right


def test_truncated_video_yields_the_frames_it_can_and_reports_it(tmp_path):
    path = _write_video(tmp_path / "clip.avi", frames=30)
    data = path.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) * 6 // 10])
    with VideoFileSource(cut) as source:
        frames = list(source)
    assert 0 < len(frames) < 30
    assert source.frames_read == len(frames)
    assert source.truncated


@pytest.mark.parametrize("content, problem", [(b"", "empty file"), (b"hello, not a video\n" * 20, "not a readable")])
def test_bad_video_file_raises_one_line_input_error_naming_it(tmp_path, content, problem):
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        VideoFileSource(path)
    message = str(error.value)
    assert str(path) in message and problem in message and "\n" not in message


def test_missing_path_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        open_source(tmp_path / "nowhere.mp4")


def test_image_folder_is_read_in_natural_order_and_unreadable_images_become_black(tmp_path):
    for i in (1, 2, 10):
        cv2.imwrite(str(tmp_path / f"frame{i}.png"), np.full((20, 30, 3), i * 20, dtype=np.uint8))
    (tmp_path / "frame3.png").write_bytes(b"broken")
    (tmp_path / "notes.txt").write_text("ignored")
    with ImageFolderSource(tmp_path, fps=25) as source:
        assert source.frame_count == 4 and source.image_size == (30, 20) and source.fps == 25
        means = [f.image.mean() for f in source]
    assert means == [20, 40, 0, 200]
    assert source.unreadable == [tmp_path / "frame3.png"]


def test_empty_image_folder_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="no images"):
        ImageFolderSource(tmp_path)


def test_image_source_is_a_one_frame_source(tmp_path):
    path = tmp_path / "pic.jpg"
    cv2.imwrite(str(path), np.zeros((40, 50, 3), dtype=np.uint8))
    source = open_source(path)
    assert isinstance(source, ImageSource)
    frames = list(source)
    assert len(frames) == 1 and source.image_size == (50, 40) and source.frame_count == 1


def test_grey_image_comes_back_as_three_channel_bgr(tmp_path):
    path = tmp_path / "grey.png"
    cv2.imwrite(str(path), np.full((10, 12), 77, dtype=np.uint8))
    (frame,) = list(ImageSource(path))
    assert frame.image.shape == (10, 12, 3) and frame.image[0, 0].tolist() == [77, 77, 77]


def test_open_source_picks_the_source_by_path_type(tmp_path):
    video = _write_video(tmp_path / "v.avi", frames=3)
    assert isinstance(open_source(video), VideoFileSource)
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((8, 8, 3), dtype=np.uint8))
    assert isinstance(open_source(tmp_path), ImageFolderSource)


def test_unavailable_webcam_raises_input_error():
    with pytest.raises(InputError, match="webcam:97"):
        open_source("webcam:97")


def test_fake_source_takes_a_list_or_a_generator():
    images = [np.full((4, 6, 3), i, dtype=np.uint8) for i in range(3)]
    listed = FakeSource(images, fps=5)
    assert listed.frame_count == 3 and listed.image_size == (6, 4)
    assert [f.image[0, 0, 0] for f in listed] == [0, 1, 2]
    generated = FakeSource((image for image in images), fps=5)
    assert generated.frame_count is None
    frames = list(generated)
    assert isinstance(frames[0], Frame) and [f.time_s for f in frames] == [0.0, 0.2, 0.4]


def test_fake_source_rejects_no_frames():
    with pytest.raises(InputError, match="no frames"):
        FakeSource([])
