"""Streaming lifting: one frame at a time, the same poses as offline, answered after the model's delay."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pstmo import device as device_module
from pstmo.errors import InputError
from pstmo.lifter import Lifter
from tests.core.lifter_helpers import (  # noqa: F401 (single_thread is a fixture)
    IMAGE_SIZE,
    random_track,
    single_thread,
    tiny_model,
)

pytestmark = pytest.mark.usefixtures("single_thread")


def _stream_all(lifter: Lifter, track: np.ndarray, flip: bool) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Push every frame, then flush; returns (push index, frame index) of each answer and the poses in order."""
    stream = lifter.stream(IMAGE_SIZE, flip=flip)
    when, poses = [], {}
    for pushed, keypoints in enumerate(track):
        for frame, pose in stream.push(keypoints):
            when.append((pushed, frame))
            poses[frame] = pose
    for frame, pose in stream.flush():
        when.append((len(track), frame))
        poses[frame] = pose
    assert sorted(poses) == list(range(len(track)))
    return when, np.stack([poses[t] for t in range(len(track))])


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("frames", [1, 5, 30])
def test_streaming_gives_the_offline_poses(causal, flip, frames):
    model, config = tiny_model(causal=causal)
    lifter = Lifter(model, config, device="cpu", dtype="float32")
    track = random_track(frames, seed=frames)
    _, streamed = _stream_all(lifter, track, flip)
    np.testing.assert_allclose(streamed, lifter.lift(track, IMAGE_SIZE, flip=flip), atol=1e-5)


def test_under_auto_bfloat16_streaming_stays_within_bfloat16_rounding_of_the_offline_poses(monkeypatch):
    monkeypatch.setattr(device_module, "cpu_has_native_bfloat16", lambda: True)
    model, config = tiny_model()
    lifter = Lifter(model, config, device="cpu")
    assert (lifter.dtype, lifter.stream_dtype) == (torch.bfloat16, torch.float32)
    track = random_track(30)
    _, streamed = _stream_all(lifter, track, flip=True)
    exact = Lifter(model, config, device="cpu", dtype="float32").lift(track, IMAGE_SIZE)
    np.testing.assert_allclose(streamed, exact, atol=1e-5)
    offline = lifter.lift(track, IMAGE_SIZE)
    assert 0 < np.abs(offline - streamed).max() < 0.02 * np.abs(exact).max()


def test_a_centred_model_answers_each_frame_half_a_receptive_field_later():
    model, config = tiny_model(frames=9, tds=2)
    lifter = Lifter(model, config, device="cpu")
    assert lifter.delay == 8 and lifter.receptive_field == 17
    when, _ = _stream_all(lifter, random_track(30), flip=True)
    assert all(pushed == frame + 8 for pushed, frame in when if frame < 30 - 8)
    assert [frame for pushed, frame in when if pushed == 30] == list(range(22, 30))  # the flush


def test_a_causal_model_answers_every_frame_at_once():
    model, config = tiny_model(causal=True)
    lifter = Lifter(model, config, device="cpu")
    assert lifter.delay == 0
    when, _ = _stream_all(lifter, random_track(20), flip=True)
    assert when == [(t, t) for t in range(20)]


def test_flush_starts_a_new_sequence():
    model, config = tiny_model()
    lifter = Lifter(model, config, device="cpu", dtype="float32")
    stream = lifter.stream(IMAGE_SIZE)
    first, second = random_track(12, seed=1), random_track(12, seed=2)
    for keypoints in first:
        stream.push(keypoints)
    stream.flush()
    answers = [a for keypoints in second for a in stream.push(keypoints)] + stream.flush()
    assert [frame for frame, _ in answers] == list(range(12))
    np.testing.assert_allclose(np.stack([p for _, p in answers]), lifter.lift(second, IMAGE_SIZE), atol=1e-5)
    assert stream.flush() == []


def test_bad_frames_are_refused_and_the_stream_goes_on():
    model, config = tiny_model()
    stream = Lifter(model, config, device="cpu").stream(IMAGE_SIZE)
    with pytest.raises(InputError):
        stream.push(np.full((17, 2), np.nan))
    with pytest.raises(InputError):
        stream.push(np.zeros((16, 2)))
    assert stream.frames_pushed == 0
    stream.push(random_track(1)[0])
    assert stream.frames_pushed == 1
