"""Window sampling: centred / causal windows, TDS, edge padding, flips, gathering from device tensors."""

from __future__ import annotations

import numpy as np
import torch

from pstmo.skeleton import H36M_FLIP_PERMUTATION
from pstmo.transforms import flip_poses, flip_some, target_position, window_indices, window_offsets
from training.sequences import PoseSequence
from training.tensor_dataset import WindowDataset


def test_a_centred_window_is_symmetric_around_its_target():
    assert window_offsets(5).tolist() == [-2, -1, 0, 1, 2]
    assert target_position(5) == 2


def test_temporal_downsampling_spreads_the_window_by_the_rate():
    assert window_offsets(3, tds=4).tolist() == [-4, 0, 4]


def test_a_causal_window_ends_at_its_target():
    assert window_offsets(4, tds=2, causal=True).tolist() == [-6, -4, -2, 0]
    assert target_position(4, causal=True) == 3


def _indices(num_frames, frames, tds=1, causal=False, start=0):
    targets = torch.arange(start, start + num_frames)
    first = torch.full_like(targets, start)
    last = torch.full_like(targets, start + num_frames - 1)
    return window_indices(targets, first, last, torch.as_tensor(window_offsets(frames, tds, causal))).tolist()


def test_frames_outside_the_clip_repeat_its_first_and_last_frame():
    assert _indices(4, 5) == [[0, 0, 0, 1, 2], [0, 0, 1, 2, 3], [0, 1, 2, 3, 3], [1, 2, 3, 3, 3]]
    assert _indices(2, 3, start=10) == [[10, 10, 11], [10, 11, 11]]


def test_a_one_frame_clip_gives_windows_of_that_frame():
    assert _indices(1, 3, tds=2, causal=True) == [[0, 0, 0]]


def _clip(name: str, length: int, start_value: float) -> PoseSequence:
    keypoints = np.zeros((length, 17, 2), np.float32)
    keypoints[:, :, 0] = 500 + np.arange(length)[:, None] + start_value  # x encodes the frame
    pose = np.zeros((length, 17, 3), np.float32)
    pose[:, 1:, 2] = np.arange(length)[:, None] + start_value
    return PoseSequence(name=name, keypoints_2d=keypoints, pose_3d=pose, image_size=(1000, 1000), fps=50)


def test_gathered_windows_never_cross_into_the_neighbouring_clip():
    data = WindowDataset([_clip("a", 3, 0), _clip("b", 4, 100)], frames=5)
    first_of_b = torch.tensor([3])
    x, y = data.gather(first_of_b)
    pixels = (x[0, :, 0, 0].numpy() + 1) * 500  # back from normalised coordinates
    assert np.allclose(pixels, [600, 600, 600, 601, 602])
    assert y[0, :, 1, 2].tolist() == [100, 100, 100, 101, 102]


def test_a_faster_speed_takes_every_other_frame_and_keeps_2d_and_3d_together():
    data = WindowDataset([_clip("a", 20, 0)], frames=5)
    x, y = data.gather(torch.tensor([10, 10]), speed=torch.tensor([1, 2]))
    assert y[0, :, 1, 2].tolist() == [8, 9, 10, 11, 12]
    assert y[1, :, 1, 2].tolist() == [6, 8, 10, 12, 14]
    pixels = (x[1, :, 0, 0].numpy() + 1) * 500
    assert np.allclose(pixels, [506, 508, 510, 512, 514])


def test_every_k_keeps_every_kth_frame_of_each_clip_and_valid_frames_only():
    clip = _clip("a", 10, 0)
    clip.valid = np.arange(10) != 4
    data = WindowDataset([clip, _clip("b", 5, 0)], frames=3, every=2)
    assert data.sample_frames.tolist() == [0, 2, 6, 8, 10, 12, 14]


def test_flipping_negates_x_swaps_left_and_right_and_is_its_own_inverse():
    poses = torch.randn(2, 17, 3)
    flipped = flip_poses(poses)
    assert torch.allclose(flipped[:, :, 0], -poses[:, H36M_FLIP_PERMUTATION, 0])
    assert torch.allclose(flipped[:, :, 1:], poses[:, H36M_FLIP_PERMUTATION, 1:])
    assert torch.allclose(flip_poses(flipped), poses)


def test_flip_some_flips_only_the_chosen_batch_items():
    poses = torch.randn(3, 4, 17, 2)
    out = flip_some(poses, torch.tensor([True, False, True]))
    assert torch.equal(out[1], poses[1])
    assert torch.allclose(out[0], flip_poses(poses[0]))


def test_training_noise_is_in_pixels_of_each_clip():
    clip = _clip("a", 50, 0)
    data = WindowDataset([clip], frames=1)
    generator = torch.Generator().manual_seed(0)
    clean, _ = data.gather(data.sample_frames)
    noisy, _ = data.gather(data.sample_frames, noise_px=10.0, generator=generator)
    sigma_px = float((noisy - clean).std()) * 1000 / 2
    assert 9.0 < sigma_px < 11.0
