"""Playback frames are decoded in a background thread; recent ones come from a cache at once."""

from __future__ import annotations

import numpy as np

from app.frames import FrameLoader
from tests.pipeline.helpers import frames, write_video


def test_frames_arrive_from_the_background_and_repeats_come_from_the_cache(qtbot, tmp_path):
    images = frames(12)
    for n, image in enumerate(images):
        image[:, :, 0] = 10 * n  # frame n is recognisable by its blue channel
    loader = FrameLoader(str(write_video(tmp_path / "count.mp4", images)))
    got = []
    loader.frameReady.connect(lambda index, image: got.append((index, int(np.median(image[..., 0])))))
    with qtbot.waitSignal(loader.frameReady, timeout=10_000):
        loader.request(7)
    assert got[-1][0] == 7 and abs(got[-1][1] - 70) <= 6
    got.clear()
    loader.request(7)  # cached: delivered before request() returns
    assert [index for index, _ in got] == [7]
    loader.close()


def test_only_the_newest_request_matters_when_the_decoder_is_busy(qtbot, tmp_path):
    loader = FrameLoader(str(write_video(tmp_path / "many.mp4", frames(40))))
    got = []
    loader.frameReady.connect(lambda index, image: got.append(index))
    for index in range(40):
        loader.request(index)
    qtbot.waitUntil(lambda: bool(got) and got[-1] == 39, timeout=10_000)
    assert got == sorted(set(got)), "frames asked for while the decoder was busy are skipped, never shown late"
    loader.close()
