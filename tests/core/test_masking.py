"""Stage I masks follow the paper's ratios and the reference's sampling."""

from __future__ import annotations

import pytest
import torch

from pstmo.model import random_masks


@pytest.mark.parametrize(("frames", "ratio"), [(27, 0.8), (81, 0.8), (243, 0.9), (243, 0.5)])
def test_temporal_mask_hides_int_frames_times_ratio_frames(frames, ratio):
    temporal_mask, _ = random_masks(frames, temporal_ratio=ratio)
    assert temporal_mask.shape == (frames,) and temporal_mask.dtype == torch.bool
    assert int(temporal_mask.sum()) == int(frames * ratio)


@pytest.mark.parametrize("joints", [0, 1, 2, 5])
def test_spatial_mask_hides_the_requested_number_of_joints_in_every_frame(joints):
    _, spatial_mask = random_masks(81, spatial_joints=joints)
    assert spatial_mask.shape == (81, 17) and spatial_mask.dtype == torch.bool
    assert (spatial_mask.sum(dim=1) == joints).all()


def test_spatial_masks_draw_from_the_first_16_joints_like_the_reference():
    _, spatial_mask = random_masks(243, spatial_joints=4, generator=torch.Generator().manual_seed(0))
    assert not spatial_mask[:, 16].any()
    assert spatial_mask[:, :16].any(dim=0).all()


def test_the_same_generator_seed_gives_the_same_masks_and_another_seed_other_masks():
    first = random_masks(243, generator=torch.Generator().manual_seed(7))
    again = random_masks(243, generator=torch.Generator().manual_seed(7))
    other = random_masks(243, generator=torch.Generator().manual_seed(8))
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not torch.equal(first[0], other[0])


def test_masked_positions_vary_across_the_window():
    counts = torch.zeros(27)
    generator = torch.Generator().manual_seed(0)
    for _ in range(200):
        counts += random_masks(27, generator=generator)[0].float()
    assert counts.min() > 0.6 * 200 and counts.max() < 0.95 * 200


def test_ratios_that_would_mask_everything_are_refused():
    with pytest.raises(ValueError):
        random_masks(27, temporal_ratio=1.0)
    with pytest.raises(ValueError):
        random_masks(27, spatial_joints=17)
