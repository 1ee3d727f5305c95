"""Mixed 2D sources: batches keep the configured shares and training with them runs end to end."""

from __future__ import annotations

import pytest
import torch

from training.data_h36m import load_h36m
from training.mixing import MixedBatches
from training.tensor_dataset import WindowDataset
from training.trainer import Trainer, train


@pytest.fixture(scope="module")
def sources(h36m_dir):
    kwargs = dict(subjects=["S1"], actions=["Walking"], max_sequences=1, cameras=[0, 1])
    projected = WindowDataset(load_h36m(h36m_dir, input_2d="gt", **kwargs), frames=9)
    detected = {"sh": WindowDataset(load_h36m(h36m_dir, input_2d="sh", **kwargs), frames=9)}
    return detected, projected


def test_each_batch_takes_its_share_from_each_source(sources):
    detected, projected = sources
    mixed = MixedBatches({"sh": 2, "gt": 1, "virtual": 1}, detected=detected, projected=projected)
    assert mixed.counts(64) == {"sh": 32, "gt": 16, "virtual": 16}
    assert sum(mixed.counts(7).values()) == 7
    x, y = mixed.sample(64, torch.Generator().manual_seed(0))
    assert x.shape == (64, 9, 17, 2) and y.shape == (64, 9, 17, 3)
    assert torch.isfinite(x).all() and torch.allclose(y[:, :, 0], torch.zeros(64, 9, 3))


def test_mixed_batches_can_stretch_windows_in_time(sources):
    detected, projected = sources
    mixed = MixedBatches({"sh": 1, "gt": 1, "virtual": 1}, detected=detected, projected=projected, speeds=(1, 2))
    x, y = mixed.sample(32, torch.Generator().manual_seed(0), flip=False)
    assert x.shape == (32, 9, 17, 2) and torch.isfinite(y).all()
    with pytest.raises(ValueError, match="speeds"):
        MixedBatches({"gt": 1}, projected=projected, speeds=(0,))


def test_a_source_without_data_is_refused(sources):
    detected, projected = sources
    with pytest.raises(ValueError, match="cpn"):
        MixedBatches({"cpn": 1.0}, detected=detected, projected=projected)


def test_training_on_mixed_inputs_validates_on_ground_truth_and_detections(tiny_config):
    config = tiny_config(input="mix", pretrained=None, finetune_epochs=1, schedule="cosine", warmup_steps=5)
    result = train(config, 2)
    assert result.status == "finished"
    last = result.history[-1]
    assert {"val_mpjpe_gt_mm", "val_mpjpe_sh_mm"} <= set(last)
    assert last["val_mpjpe_mm"] == pytest.approx((last["val_mpjpe_gt_mm"] + last["val_mpjpe_sh_mm"]) / 2)


def test_the_cosine_schedule_warms_up_then_decays_to_its_floor(tiny_config):
    config = tiny_config(schedule="cosine", warmup_steps=10, lr=0.01, min_lr_ratio=0.1, epochs=2, pretrained=None,
                         max_steps_per_epoch=30)
    trainer = Trainer(config, 2)
    trainer.log.close()
    steps = 2 * trainer.steps_per_epoch()
    rates = [trainer.lr_at_step(step) for step in range(steps)]
    assert rates[0] == pytest.approx(0.001) and rates[9] == pytest.approx(0.01)
    assert all(a >= b - 1e-12 for a, b in zip(rates[9:], rates[10:], strict=False))
    assert rates[-1] == pytest.approx(0.001)


def test_a_run_can_start_from_a_trained_lifter_of_the_same_architecture(tiny_config, tmp_path):
    first = train(tiny_config(pretrained=None, finetune_epochs=1, out_dir=str(tmp_path / "a")), 2)
    config = tiny_config(pretrained=None, finetune_epochs=1, out_dir=str(tmp_path / "b"),
                         init=str(first.best_checkpoint))
    trainer = Trainer(config, 2)
    trainer.log.close()
    from pstmo.checkpoint import load_checkpoint

    start = load_checkpoint(first.best_checkpoint).model.state_dict()
    assert all(torch.equal(start[k], v) for k, v in trainer.model.state_dict().items())
