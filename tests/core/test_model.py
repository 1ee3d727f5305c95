"""P-STMO model: sizes of the paper's configurations, shapes, time order, training and SEM+TEM transfer."""

from __future__ import annotations

import pytest
import torch

from pstmo.config import ModelConfig, preset
from pstmo.model import PSTMO, PSTMOPretrain, count_parameters, random_masks, transfer_encoder

TINY = ModelConfig(frames=27, layers=2, channel=32, d_hid=64)


@pytest.mark.parametrize(
    ("name", "frames", "expected"),
    [("pstmo-s", 243, 6_481_254), ("pstmo", 243, 7_008_358), ("pstmo-s", 81, 5_526_118)],
)
def test_parameter_count_equals_the_references_used_parameters(name, frames, expected):
    assert count_parameters(PSTMO(preset(name, frames))) == expected


def test_lifter_returns_centre_frame_and_all_frames_in_3d():
    model = PSTMO(TINY).eval()
    with torch.inference_mode():
        center, all_frames = model(torch.rand(3, 27, 17, 2) * 2 - 1)
    assert center.shape == (3, 1, 17, 3)
    assert all_frames.shape == (3, 27, 17, 3)


def test_lifter_rejects_a_window_of_the_wrong_length_or_layout():
    model = PSTMO(TINY).eval()
    with pytest.raises(ValueError, match="27"):
        model(torch.zeros(1, 26, 17, 2))
    with pytest.raises(ValueError, match="17, 2"):
        model(torch.zeros(1, 27, 17, 3))


def test_sem_features_of_a_frame_do_not_depend_on_its_neighbours_in_eval_mode():
    model = PSTMO(TINY).eval()
    x = torch.rand(2, 27, 17, 2)
    with torch.inference_mode():
        window = model.embed(x)
        single = model.embed(x[:, 5:6])
    torch.testing.assert_close(window[:, 5:6], single)


def test_stage1_output_at_masked_frames_ignores_their_input():
    torch.manual_seed(0)
    model = PSTMOPretrain(TINY).eval()
    temporal_mask, spatial_mask = random_masks(27, generator=torch.Generator().manual_seed(1))
    x = torch.rand(2, 27, 17, 2)
    changed = x.clone()
    changed[:, temporal_mask] = 5.0
    with torch.inference_mode():
        out = model(x, temporal_mask, spatial_mask)
        out_changed = model(changed, temporal_mask, spatial_mask)
    assert out.shape == (2, 27, 17, 2)
    torch.testing.assert_close(out, out_changed)


def test_stage1_output_is_in_time_order_of_the_decoder_positions():
    """Swapping the decoder's positional embeddings of two masked frames swaps their reconstructions."""
    torch.manual_seed(0)
    model = PSTMOPretrain(TINY).eval()
    temporal_mask, spatial_mask = random_masks(27, generator=torch.Generator().manual_seed(2))
    first, second = torch.nonzero(temporal_mask).flatten()[:2].tolist()
    x = torch.rand(1, 27, 17, 2)
    with torch.inference_mode():
        out = model(x, temporal_mask, spatial_mask)
        model.dec_pos_embedding[:, [first, second]] = model.dec_pos_embedding[:, [second, first]].clone()
        swapped = model(x, temporal_mask, spatial_mask)
    torch.testing.assert_close(swapped[:, first], out[:, second])
    torch.testing.assert_close(swapped[:, second], out[:, first])


def test_stage1_replaces_masked_joints_by_the_padding_joint():
    torch.manual_seed(0)
    model = PSTMOPretrain(TINY).eval()
    temporal_mask, spatial_mask = random_masks(27, generator=torch.Generator().manual_seed(3))
    x = torch.rand(1, 27, 17, 2)
    moved = torch.where(spatial_mask[..., None], torch.full_like(x, 9.0), x)
    with torch.inference_mode():
        torch.testing.assert_close(model(x, temporal_mask, spatial_mask), model(moved, temporal_mask, spatial_mask))


@pytest.mark.parametrize("stage", [1, 2])
def test_one_training_step_reaches_every_parameter(stage):
    torch.manual_seed(0)
    model = (PSTMO(TINY) if stage == 2 else PSTMOPretrain(TINY)).train()
    x = torch.rand(4, 27, 17, 2)
    if stage == 2:
        center, all_frames = model(x)
        loss = center.square().mean() + all_frames.square().mean()
    else:
        loss = model(x, *random_masks(27)).square().mean()
    loss.backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []


def test_eval_mode_with_folded_batch_norm_equals_batch_norm_with_running_statistics():
    """Eval mode (folded BN) equals a plain BatchNorm1d evaluation with the running statistics."""
    torch.manual_seed(0)
    model = PSTMO(TINY)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(4, 27, 17, 2))
    model.eval()
    x = torch.rand(2, 27, 17, 2)
    with torch.inference_mode():
        folded = model.sem(x.reshape(2, 27, 34))
        sem = model.sem
        unfolded = sem.fc_out(
            sem.block(torch.nn.functional.leaky_relu(sem.bn_in(sem.fc_in(x.reshape(-1, 34))), 0.2))
        ).reshape(2, 27, -1)
    assert model.sem.bn_in.num_batches_tracked.item() == 3
    torch.testing.assert_close(folded, unfolded, rtol=1e-5, atol=1e-5)


def test_transfer_copies_exactly_the_sem_and_tem_tensors():
    torch.manual_seed(0)
    pretrained, lifter = PSTMOPretrain(TINY), PSTMO(TINY)
    before = {k: v.clone() for k, v in lifter.state_dict().items()}
    copied = transfer_encoder(pretrained, lifter)
    after, source = lifter.state_dict(), pretrained.state_dict()
    assert copied and all(name.startswith(("sem.", "tem.")) for name in copied)
    assert set(copied) == {k for k in after if k.startswith(("sem.", "tem."))}
    for name in after:
        expected = source[name] if name in copied else before[name]
        assert torch.equal(after[name], expected), name


def test_transfer_refuses_models_of_different_width():
    with pytest.raises(ValueError, match="channel"):
        transfer_encoder(PSTMOPretrain(TINY), PSTMO(ModelConfig(frames=27, layers=2, channel=64, d_hid=128)))


def _eval_lifter() -> PSTMO:
    torch.manual_seed(0)
    model = PSTMO(TINY).train()
    with torch.no_grad():
        model(torch.rand(4, 27, 17, 2))
    return model.eval()


def test_large_eval_batches_run_in_chunks_with_the_same_results():
    model = _eval_lifter()
    x = torch.rand(7, 27, 17, 2)
    with torch.inference_mode():
        model.eval_chunk = 100
        whole = model(x)
        model.eval_chunk = 3
        chunked = model(x)
        chunked_embedded = model.forward_embedded(model.embed(x))
    for a, b, c in zip(whole, chunked, chunked_embedded, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
        torch.testing.assert_close(a, c, rtol=0, atol=1e-6)


def test_onednn_matmuls_agree_with_aten_matmuls():
    from pstmo.cpu_kernels import matmul_backend

    model = _eval_lifter()
    x = torch.rand(3, 27, 17, 2)
    with torch.inference_mode():
        with matmul_backend("aten"):
            plain = model(x)
        with matmul_backend("onednn"):
            fused = model(x)
    for a, b in zip(plain, fused, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_eval_with_autograd_enabled_gives_the_inference_numbers_and_gradients():
    model = _eval_lifter()
    x = torch.rand(2, 27, 17, 2, requires_grad=True)
    center, _ = model(x)
    center.sum().backward()
    with torch.inference_mode():
        expected, _ = model(x.detach())
    torch.testing.assert_close(center.detach(), expected, rtol=1e-5, atol=1e-5)
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_bfloat16_autocast_stays_close_to_float32_and_returns_float32_coordinates():
    model = _eval_lifter()
    x = torch.rand(4, 27, 17, 2) * 2 - 1
    with torch.inference_mode():
        full = model(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            half = model(x)
    for a, b in zip(full, half, strict=True):
        assert b.dtype == torch.float32
        error = (a - b).abs().max() / a.abs().max()
        assert 0 < error < 0.05


def test_forward_center_equals_the_centre_output_of_forward():
    model = _eval_lifter()
    model.eval_chunk = 2
    x = torch.rand(5, 27, 17, 2)
    with torch.inference_mode():
        center, _ = model(x)
        torch.testing.assert_close(model.forward_center(model.embed(x)), center, rtol=0, atol=1e-6)
        assert model.forward_center(model.embed(x[:0])).shape == (0, 1, 17, 3)


def test_embed_takes_a_whole_track_of_frames():
    model = _eval_lifter()
    model.eval_chunk = 1
    track = torch.rand(100, 17, 2)
    with torch.inference_mode():
        features = model.embed(track)
        windows = model.embed(track[None, :27])
    assert features.shape == (100, 32)
    torch.testing.assert_close(features[:27], windows[0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("stage", [1, 2])
def test_training_gradients_through_onednn_equal_those_through_aten(stage):
    from pstmo.cpu_kernels import matmul_backend

    x = torch.rand(3, 27, 17, 2)
    masks = random_masks(27, generator=torch.Generator().manual_seed(0))
    grads = []
    for backend in ("aten", "onednn"):
        with matmul_backend(backend):
            torch.manual_seed(0)
            model = (PSTMO(TINY) if stage == 2 else PSTMOPretrain(TINY)).train()
            torch.manual_seed(1)  # same dropout draws
            out = model(x)[0] if stage == 2 else model(x, *masks)
            out.square().mean().backward()
            grads.append({name: p.grad for name, p in model.named_parameters()})
    for name, grad in grads[0].items():
        torch.testing.assert_close(grads[1][name], grad, rtol=1e-4, atol=1e-6, msg=name)


@pytest.mark.parametrize("stage", [1, 2])
def test_both_stages_train_under_bfloat16_autocast(stage):
    torch.manual_seed(0)
    model = (PSTMO(TINY) if stage == 2 else PSTMOPretrain(TINY)).train()
    x = torch.rand(2, 27, 17, 2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)[0] if stage == 2 else model(x, *random_masks(27))
    out.float().square().mean().backward()
    assert torch.isfinite(model.sem.fc_in.weight.grad).all()


def test_sem_and_pose_heads_stay_float32_under_bfloat16_autocast():
    """Coordinates in and out are never rounded to bfloat16 (about 1 px / 2 mm steps)."""
    model = _eval_lifter()
    for bn in (model.head_center.bn, model.sem.bn_in):
        bn.running_mean.normal_(0, 3.0)  # a large folded shift exposes any bfloat16 rounding
    x = torch.rand(2, 27, 17, 2) * 2 - 1
    features = torch.randn(2, 1, 32)
    with torch.inference_mode():
        sem_full, head_full = model.embed(x), model.head_center(features)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            sem_half, head_half = model.embed(x), model.head_center(features)
    assert sem_half.dtype == head_half.dtype == torch.float32
    torch.testing.assert_close(sem_half, sem_full, rtol=0, atol=1e-5)
    torch.testing.assert_close(head_half, head_full, rtol=0, atol=1e-5)
