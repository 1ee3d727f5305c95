"""Stage I / Stage II training on the tiny config: losses fall, resume is exact, NaN and cancel stop cleanly."""

from __future__ import annotations

import json
import threading

import pytest
import torch
from safetensors.torch import load_file

import training.trainer as trainer_module
from pstmo.checkpoint import load_checkpoint
from pstmo.errors import InputError
from training.run_log import read_log
from training.trainer import NaNLossError, train


def _losses(log_path, event="epoch", key="train_loss"):
    return [r[key] for r in read_log(log_path) if r["event"] == event]


def test_stage_one_then_stage_two_lower_both_losses_and_leave_a_usable_checkpoint(tiny_config):
    config = tiny_config(pretrain_epochs=3, finetune_epochs=3)
    first = train(config, 1)
    assert first.status == "finished" and first.epochs_done == 3
    pretrain_losses = _losses(first.run_dir / "log.jsonl")
    assert pretrain_losses[-1] < pretrain_losses[0]

    second = train(config, 2)  # pretrained: auto -> the Stage I run beside it
    records = read_log(second.run_dir / "log.jsonl")
    start = next(r for r in records if r["event"] == "start")
    assert start["transferred"] > 0
    finetune_losses = _losses(second.run_dir / "log.jsonl")
    assert finetune_losses[-1] < finetune_losses[0]
    val = [r["mpjpe_mm"] for r in records if r["event"] == "val"]
    assert len(val) == 3 and val[-1] < val[0]
    assert records[-1]["event"] == "done" and records[-1]["status"] == "finished"

    best = load_checkpoint(second.best_checkpoint)
    assert best.stage == 2 and best.config == config.model
    assert best.metadata["metrics"]["val_mpjpe_mm"] == pytest.approx(min(val))


def test_every_log_record_has_the_documented_fields(tiny_config):
    result = train(tiny_config(finetune_epochs=1, pretrained=None), 2)
    for record in read_log(result.run_dir / "log.jsonl"):
        assert {"event", "stage", "epoch", "step", "time"} <= set(record)
        assert record["event"] in {"start", "train", "val", "epoch", "done"}
        if record["event"] == "train":
            assert {"loss", "lr"} <= set(record)


def _weights(run_dir, epoch):
    return load_file(str(run_dir / "checkpoints" / f"epoch_{epoch:04d}" / "model.safetensors"))


def test_resuming_gives_exactly_the_weights_of_an_uninterrupted_run(tiny_config, tmp_path):
    straight = train(tiny_config(finetune_epochs=3, pretrained=None, out_dir=str(tmp_path / "a")), 2)
    train(tiny_config(finetune_epochs=2, pretrained=None, out_dir=str(tmp_path / "b")), 2)
    resumed = train(tiny_config(finetune_epochs=3, pretrained=None, out_dir=str(tmp_path / "b")), 2, resume=True)
    assert resumed.epochs_done == 3
    a, b = _weights(straight.run_dir, 3), _weights(resumed.run_dir, 3)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [h["train_loss"] for h in straight.history] == [h["train_loss"] for h in resumed.history]


def test_starting_again_in_a_used_run_folder_without_resume_is_refused(tiny_config):
    config = tiny_config(finetune_epochs=1, pretrained=None)
    train(config, 2)
    with pytest.raises(InputError, match="--resume"):
        train(config, 2)


def test_a_nan_loss_stops_training_with_a_message_naming_the_step(tiny_config, monkeypatch):
    calls = {"n": 0}
    real_loss = trainer_module.mpjpe_loss

    def poisoned(predicted, target):
        calls["n"] += 1
        loss = real_loss(predicted, target)
        return loss * float("nan") if calls["n"] > 8 else loss  # 2 losses per Stage II step -> step 5

    monkeypatch.setattr(trainer_module, "mpjpe_loss", poisoned)
    config = tiny_config(finetune_epochs=2, pretrained=None)
    with pytest.raises(NaNLossError, match="epoch 1, step 5"):
        train(config, 2)
    done = read_log(trainer_module.run_dir_for(config, 2) / "log.jsonl")[-1]
    assert done["event"] == "done" and done["status"] == "nan"
    assert issubclass(NaNLossError, InputError), "one 'error: ...' line and exit code 1 under the error rule"


def test_cancelling_mid_epoch_keeps_the_last_complete_epoch(tiny_config):
    cancel = threading.Event()
    seen = []

    def progress(record):
        seen.append(record)
        if record["event"] == "progress" and record["epoch"] == 2 and record["batch"] == 3:
            cancel.set()

    config = tiny_config(finetune_epochs=3, pretrained=None)
    result = train(config, 2, progress=progress, cancel=cancel)
    assert result.status == "cancelled" and result.epochs_done == 1
    latest = json.loads((result.run_dir / "latest.json").read_text())
    assert latest["epoch"] == 1
    assert any(r["event"] == "epoch" for r in seen)


def test_stage_two_with_a_missing_stage_one_checkpoint_says_what_to_do(tiny_config):
    with pytest.raises(InputError, match="run `train pretrain` first"):
        train(tiny_config(pretrained="auto"), 2)
