"""PrefetchSource yields the same frames in order, stops early cleanly and passes decoding errors on."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.prefetch import PrefetchSource
from pipeline.sources import FakeSource
from tests.pipeline.helpers import frames


def test_frames_come_out_in_order_with_the_source_properties():
    source = PrefetchSource(FakeSource([np.full((4, 4, 3), n, np.uint8) for n in range(20)], fps=12, name="f"),
                            depth=3)
    assert (source.fps, source.image_size, source.frame_count, source.name) == (12, (4, 4), 20, "f")
    assert [int(f.image[0, 0, 0]) for f in source] == list(range(20))
    assert source.frames_read == 20


def test_stopping_early_leaves_no_thread_running():
    source = PrefetchSource(FakeSource(frames(50)), depth=2)
    for frame in source:
        if frame.index == 3:
            break
    source.close()
    assert not source._thread.is_alive()


def test_an_error_while_decoding_reaches_the_consumer():
    def broken():
        yield np.zeros((4, 4, 3), np.uint8)
        yield np.zeros((4, 4, 3), np.uint8)
        raise OSError("disk gone")

    source = PrefetchSource(FakeSource(broken()))
    seen = []
    with pytest.raises(OSError, match="disk gone"):
        for frame in source:
            seen.append(frame.index)
    assert seen == [0, 1]
