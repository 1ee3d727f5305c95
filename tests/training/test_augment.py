"""Training-time 2D models: virtual cameras see the person as a camera would; detector noise scales with size."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pstmo.skeleton import H36M_BONES, H36M_JOINTS
from training.augment import DetectorNoise, VirtualCameras, add_detector_noise, box_diagonal, virtual_camera_windows

HEAD, PELVIS = H36M_JOINTS.index("Head"), H36M_JOINTS.index("Pelvis")


def standing_person(batch: int = 64, frames: int = 5) -> torch.Tensor:
    """(B, N, 17, 3) world metres, z up: a T-shaped person 1.7 m tall standing at (1, 2) on the floor."""
    rng = np.random.default_rng(0)
    pose = rng.normal(0, 0.15, (17, 3))
    pose[:, 2] = np.linspace(0.1, 1.7, 17)
    pose[PELVIS] = [0, 0, 0.95]
    pose[HEAD] = [0, 0, 1.7]
    pose[:, :2] += [1.0, 2.0]
    return torch.tensor(pose, dtype=torch.float32).expand(batch, frames, 17, 3).clone()


def test_a_level_camera_without_roll_sees_the_person_upright_with_the_pelvis_where_it_was_aimed():
    cameras = VirtualCameras(elevation_deg=(0, 0), roll_deg=(0, 0), offset_x=0.0, offset_y=0.0)
    x, y = virtual_camera_windows(standing_person(), 2, cameras, torch.Generator().manual_seed(1))
    assert x.shape == (64, 5, 17, 2) and y.shape == (64, 5, 17, 3)
    np.testing.assert_allclose(x[:, 2, PELVIS].numpy(), 0.0, atol=1e-5)  # aimed at the image centre
    assert (x[:, 2, HEAD, 1] < x[:, 2, PELVIS, 1]).all()  # image y points down: the head is above
    np.testing.assert_allclose(y[:, :, PELVIS].numpy(), 0.0, atol=1e-6)  # targets are root-relative
    np.testing.assert_allclose(y[:, 2, HEAD, 1].numpy(), -0.75, atol=1e-4)  # 0.75 m straight up


def test_the_pelvis_lands_within_the_offset_range_and_the_camera_keeps_bone_lengths():
    world = standing_person()
    cameras = VirtualCameras(offset_x=0.3, offset_y=0.2)
    x, y = virtual_camera_windows(world, 2, cameras, torch.Generator().manual_seed(2))
    assert x[:, 2, PELVIS, 0].abs().max() <= 0.3 + 1e-5 and x[:, 2, PELVIS, 1].abs().max() <= 0.2 + 1e-5
    assert x[:, 2, PELVIS, 0].abs().max() > 0.1  # and does move around
    for parent, child in H36M_BONES:
        seen = torch.linalg.vector_norm(y[..., child, :] - y[..., parent, :], dim=-1)
        true = torch.linalg.vector_norm(world[..., child, :] - world[..., parent, :], dim=-1)
        np.testing.assert_allclose(seen.numpy(), true.numpy(), atol=1e-5)


def test_detector_noise_is_centred_and_proportional_to_the_persons_size():
    generator = torch.Generator().manual_seed(3)
    noise = DetectorNoise(jitter=0.02, bias=0.0, outlier_rate=0.0, swap_rate=0.0)
    small = torch.rand(2000, 9, 17, 2) * 0.2
    large = small * 4
    assert float(box_diagonal(large).mean()) == pytest.approx(4 * float(box_diagonal(small).mean()), rel=1e-5)
    small_error = add_detector_noise(small, noise, generator) - small
    large_error = add_detector_noise(large, noise, generator) - large
    assert abs(float(small_error.mean())) < 1e-3
    ratio = float(large_error.abs().mean() / small_error.abs().mean())
    assert ratio == pytest.approx(4.0, rel=0.1)


def test_a_swap_exchanges_a_left_joint_with_its_right_twin():
    x = torch.rand(200, 3, 17, 2)
    noisy = add_detector_noise(x, DetectorNoise(jitter=0, bias=0, outlier_rate=0, swap_rate=0.5),
                               torch.Generator().manual_seed(4))
    changed = (noisy != x).any(-1)  # (B, N, 17)
    assert changed.any()
    left_knee, right_knee = H36M_JOINTS.index("LKnee"), H36M_JOINTS.index("RKnee")
    swapped = changed[..., left_knee]
    assert torch.equal(noisy[..., left_knee, :][swapped], x[..., right_knee, :][swapped])
