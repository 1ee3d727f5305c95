"""The inference engine: offline lifting matches the reference's computation, for any length and settings."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import pstmo.device as device_module
import pstmo.lifter as lifter_module
from pstmo.errors import InputError
from pstmo.lifter import Lifter, window_indices
from pstmo.skeleton import H36M_FLIP_PERMUTATION
from pstmo.transforms import image_coordinates
from tests.core.lifter_helpers import (  # noqa: F401 (single_thread is a fixture)
    IMAGE_SIZE,
    random_track,
    single_thread,
    straightforward_lift,
    tiny_model,
)

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def centred():
    model, config = tiny_model()
    return Lifter(model, config, device="cpu")


@pytest.mark.parametrize("frames", [1, 2, 9, 9 * 2 + 7])
def test_lift_returns_one_root_relative_float32_pose_per_frame(centred, frames):
    poses = centred.lift(random_track(frames), IMAGE_SIZE)
    assert poses.shape == (frames, 17, 3) and poses.dtype == np.float32
    assert np.isfinite(poses).all()
    assert np.all(poses[:, 0] == 0)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("flip", [False, True])
def test_lift_matches_the_straightforward_per_window_computation(causal, flip):
    model, config = tiny_model(causal=causal)
    track = random_track(40)
    expected = straightforward_lift(model, config, track, flip)
    got = Lifter(model, config, device="cpu", dtype="float32").lift(track, IMAGE_SIZE, flip=flip, batch_size=6)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_chunks_and_batch_sizes_do_not_change_the_result(centred, monkeypatch):
    track = random_track(37, seed=1)
    whole = centred.lift(track, IMAGE_SIZE, batch_size=1000)
    monkeypatch.setattr(lifter_module, "CHUNK_FRAMES", 10)
    for batch_size in (1, 13):
        np.testing.assert_allclose(centred.lift(track, IMAGE_SIZE, batch_size=batch_size), whole, atol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
def test_lifting_chosen_frames_gives_exactly_those_frames_of_the_whole_track(causal, monkeypatch):
    model, config = tiny_model(causal=causal)
    lifter = Lifter(model, config, device="cpu")
    track = random_track(50, seed=3)
    whole = lifter.lift(track, IMAGE_SIZE)
    chosen = np.array([49, 0, 7, 8, 30])
    np.testing.assert_allclose(lifter.lift(track, IMAGE_SIZE, frames=chosen), whole[chosen], atol=1e-6)
    monkeypatch.setattr(lifter_module, "CHUNK_FRAMES", 2)
    np.testing.assert_allclose(lifter.lift(track, IMAGE_SIZE, frames=chosen, batch_size=1), whole[chosen], atol=1e-6)


@pytest.mark.parametrize("causal", [False, True])
def test_several_sequences_lifted_in_one_call_equal_a_call_each(causal):
    model, config = tiny_model(causal=causal)
    lifter = Lifter(model, config, device="cpu")
    tracks = [random_track(frames, seed=frames) for frames in (30, 1, 12)]
    together = lifter.lift_sequences(tracks, IMAGE_SIZE)
    assert [len(poses) for poses in together] == [30, 1, 12]
    for track, poses in zip(tracks, together, strict=True):
        np.testing.assert_allclose(poses, lifter.lift(track, IMAGE_SIZE), atol=1e-5)


def test_frames_outside_the_track_are_refused(centred):
    with pytest.raises(InputError, match="frames"):
        centred.lift(random_track(5), IMAGE_SIZE, frames=np.array([5]))
    with pytest.raises(InputError, match="frames"):
        centred.lift(random_track(5), IMAGE_SIZE, frames=np.array([0.5]))


def test_centred_windows_are_edge_padded_and_spaced_by_the_downsampling_rate():
    _, config = tiny_model(frames=9, tds=2)
    index = window_indices(np.array([0, 10, 19]), 20, config)
    np.testing.assert_array_equal(index[1], [2, 4, 6, 8, 10, 12, 14, 16, 18])
    np.testing.assert_array_equal(index[0], [0, 0, 0, 0, 0, 2, 4, 6, 8])
    np.testing.assert_array_equal(index[2], [11, 13, 15, 17, 19, 19, 19, 19, 19])
    _, causal = tiny_model(frames=9, tds=2, causal=True)
    np.testing.assert_array_equal(window_indices(np.array([3]), 20, causal)[0], [0] * 7 + [1, 3])


def _mirror_pixels(track: np.ndarray) -> np.ndarray:
    out = track[:, H36M_FLIP_PERMUTATION].copy()
    out[..., 0] = IMAGE_SIZE[0] - out[..., 0]
    return out


def _mirror_3d(poses: np.ndarray) -> np.ndarray:
    out = poses[:, H36M_FLIP_PERMUTATION].copy()
    out[..., 0] = -out[..., 0]
    return out


def test_flip_tta_averages_the_pose_and_the_mirrored_pose_of_the_mirrored_video(centred):
    track = random_track(30, seed=2)
    plain = centred.lift(track, IMAGE_SIZE, flip=False)
    of_mirrored = centred.lift(_mirror_pixels(track), IMAGE_SIZE, flip=False)
    expected = (plain + _mirror_3d(of_mirrored)) / 2
    np.testing.assert_allclose(centred.lift(track, IMAGE_SIZE, flip=True), expected, atol=1e-5)
    assert np.abs(plain - expected).max() > 1e-3  # the augmentation does change the answer


def test_flip_tta_output_of_a_mirrored_video_is_the_mirrored_output(centred):
    track = random_track(30, seed=3)
    direct = centred.lift(track, IMAGE_SIZE, flip=True)
    mirrored = centred.lift(_mirror_pixels(track), IMAGE_SIZE, flip=True)
    np.testing.assert_allclose(_mirror_3d(mirrored), direct, atol=1e-5)


def test_confidence_is_accepted_and_does_not_change_the_poses(centred):
    track = random_track(12)
    scores = np.random.default_rng(0).uniform(size=(12, 17))
    np.testing.assert_array_equal(centred.lift(track, IMAGE_SIZE, confidence=scores), centred.lift(track, IMAGE_SIZE))
    with pytest.raises(InputError, match="confidence"):
        centred.lift(track, IMAGE_SIZE, confidence=np.ones((11, 17)))


@pytest.mark.parametrize(
    "keypoints, message",
    [
        (np.zeros((0, 17, 2)), "T = 0"),
        (np.zeros((17, 2)), "shape"),
        (np.zeros((5, 16, 2)), "shape"),
        (np.zeros((5, 17, 3)), "shape"),
        (np.full((5, 17, 2), np.nan), "NaN"),
        (np.where(np.arange(5)[:, None, None] == 3, np.inf, np.zeros((5, 17, 2))), "frame 3"),
        ("not numbers", "numeric"),
    ],
)
def test_bad_keypoints_raise_input_error(centred, keypoints, message):
    with pytest.raises(InputError, match=message):
        centred.lift(keypoints, IMAGE_SIZE)


@pytest.mark.parametrize("size", [(0, 480), (640,), None, (640, float("nan"))])
def test_bad_image_size_raises_input_error(centred, size):
    with pytest.raises(InputError, match="image_size"):
        centred.lift(random_track(3), size)


def test_progress_reports_frames_done_up_to_the_total(centred):
    calls = []
    centred.lift(random_track(25), IMAGE_SIZE, batch_size=10, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(10, 25), (20, 25), (25, 25)]


def test_cancel_stops_lifting_and_leaves_the_rest_nan(centred):
    cancel = threading.Event()
    calls = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        cancel.set()

    poses = centred.lift(random_track(25), IMAGE_SIZE, batch_size=10, progress=progress, cancel=cancel)
    assert calls == [10]
    assert np.isfinite(poses[:10]).all() and np.isnan(poses[10:]).all()


def test_bfloat16_stays_close_to_float32():
    model, config = tiny_model()
    track = random_track(20)
    full = Lifter(model, config, device="cpu", dtype="float32").lift(track, IMAGE_SIZE)
    half = Lifter(model, config, device="cpu", dtype=torch.bfloat16).lift(track, IMAGE_SIZE)
    assert half.dtype == np.float32
    scale = np.abs(full).max()
    assert 0 < np.abs(half - full).max() < 0.05 * scale


def test_auto_device_is_cuda_only_when_available():
    model, config = tiny_model()
    lifter = Lifter(model, config)
    assert lifter.device.type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("native", [False, True])
def test_auto_precision_on_the_cpu_is_bfloat16_only_with_native_bfloat16_and_streams_stay_float32(
        monkeypatch, native):
    monkeypatch.setattr(device_module, "cpu_has_native_bfloat16", lambda: native)
    model, config = tiny_model()
    lifter = Lifter(model, config, device="cpu")
    assert lifter.dtype == (torch.bfloat16 if native else torch.float32)
    assert lifter.stream_dtype == torch.float32


def test_an_explicit_precision_is_used_for_streams_too():
    model, config = tiny_model()
    assert Lifter(model, config, device="cpu", dtype="bfloat16").stream_dtype == torch.bfloat16


def test_a_model_without_embed_is_refused():
    _, config = tiny_model()
    with pytest.raises(InputError, match="embed"):
        Lifter(torch.nn.Linear(2, 2), config, device="cpu")


def test_authors_checkpoint_lifts_its_fixture_window_to_the_fixture_output(shared_dir: Path):
    fixture = shared_dir / "fixtures/official_pstmo/stage2_L3_C64_F27"
    lifter = Lifter.from_checkpoint(fixture.with_suffix(".pth"), device="cpu", dtype="float32", frames=27, layers=3,
                                    channel=64)
    io = np.load(fixture.parent / (fixture.name + "_io.npz"))
    window = image_coordinates(io["input_2d"][0], *IMAGE_SIZE)  # (27, 17, 2) pixels
    poses = lifter.lift(window, IMAGE_SIZE, flip=False)
    expected = io["output_center_3d"][0, 0].copy()
    expected[0] = 0.0
    np.testing.assert_allclose(poses[13], expected, atol=1e-4)


def test_stage_one_checkpoint_cannot_lift(shared_dir: Path):
    path = shared_dir / "fixtures/official_pstmo/stage1_L3_C64_F27.pth"
    with pytest.raises(InputError, match="Stage I"):
        Lifter.from_checkpoint(path, device="cpu", frames=27, layers=3, channel=64)


def test_long_inputs_are_embedded_chunk_by_chunk(monkeypatch):
    model, config = tiny_model(frames=9, tds=2)
    lifter = Lifter(model, config, device="cpu")
    monkeypatch.setattr(lifter_module, "CHUNK_FRAMES", 50)
    lengths = []
    embed = model.embed
    monkeypatch.setattr(model, "embed", lambda x: (lengths.append(x.shape[1]), embed(x))[1])
    poses = lifter.lift(random_track(200), IMAGE_SIZE, batch_size=25)
    assert np.isfinite(poses).all()
    assert len(lengths) == 4 and max(lengths) <= 50 + lifter.receptive_field - 1


def test_our_checkpoint_loads_into_a_lifter_that_lifts_like_the_saved_model(tmp_path):
    from pstmo.checkpoint import save_checkpoint

    model, config = tiny_model(causal=True)
    save_checkpoint(tmp_path / "tiny", model, config, stage=2, metadata={"licence": "test"})
    loaded = Lifter.from_checkpoint(tmp_path / "tiny.safetensors", device="cpu")
    assert loaded.config == config and loaded.metadata["licence"] == "test"
    track = random_track(20)
    np.testing.assert_allclose(loaded.lift(track, IMAGE_SIZE), Lifter(model, config, device="cpu").lift(
        track, IMAGE_SIZE), atol=1e-6)


def test_truncated_checkpoint_raises_input_error_naming_the_file(tmp_path):
    from pstmo.checkpoint import save_checkpoint

    model, config = tiny_model()
    save_checkpoint(tmp_path / "tiny", model, config, stage=2)
    weights = tmp_path / "tiny.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(InputError, match="tiny.safetensors"):
        Lifter.from_checkpoint(weights, device="cpu")
