"""A training run killed with SIGKILL mid-epoch resumes with `--resume` from its last completed epoch and
ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors.torch import load_file

from training.run_log import read_log
from training.run_state import load_latest

REPO = Path(__file__).resolve().parents[2]
EPOCHS = 4


def _command(h36m_dir: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, str(REPO / "main.py"), "train", "finetune", "--config", str(REPO / "configs" / "tiny.yaml"),
            f"data_dir={h36m_dir}", "pretrained=null", "tensorboard=false", f"epochs={EPOCHS}", "batch_size=16",
            "log_every=1", "--out", str(out), "--quiet", *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}


def _training_in_epoch_after_a_saved_one(run: Path) -> bool:
    """True once an epoch checkpoint exists and the next epoch has taken at least one step."""
    latest, log = run / "latest.json", run / "log.jsonl"
    if not (latest.is_file() and log.is_file()):
        return False
    try:
        saved = json.loads(latest.read_text())["epoch"]
    except (ValueError, KeyError):
        return False
    return any(r["event"] == "train" and r["epoch"] == saved + 1 for r in read_log(log))


@pytest.mark.slow
def test_a_run_killed_mid_epoch_resumes_from_its_last_complete_epoch_and_finishes(h36m_dir, tmp_path):
    out = tmp_path / "killed"
    run = out / "finetune"
    process = subprocess.Popen(_command(h36m_dir, out), cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and process.poll() is None and not _training_in_epoch_after_a_saved_one(run):
            time.sleep(0.02)
        assert process.poll() is None, f"training ended before it could be killed: {process.stderr.read()[-2000:]}"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL

    saved = json.loads((run / "latest.json").read_text())["epoch"]
    assert 1 <= saved < EPOCHS
    assert any(r["event"] == "train" and r["epoch"] == saved + 1 for r in read_log(run / "log.jsonl")), \
        "killed in the middle of the next epoch"
    assert not any(r["event"] == "done" for r in read_log(run / "log.jsonl"))

    resumed = subprocess.run(_command(h36m_dir, out, "--resume"), cwd=tmp_path, env=_env(), capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    records = read_log(run / "log.jsonl")
    starts = [index for index, r in enumerate(records) if r["event"] == "start"]
    assert len(starts) == 2 and records[starts[1]]["epoch"] == saved, "resumed from the last complete epoch"
    after = [r["epoch"] for r in records[starts[1]:] if r["event"] == "epoch"]
    assert after == list(range(saved + 1, EPOCHS + 1))
    assert records[-1]["event"] == "done" and records[-1]["status"] == "finished"
    folder, info, _ = load_latest(run)
    assert info["epoch"] == EPOCHS and [h["epoch"] for h in info["history"]] == list(range(1, EPOCHS + 1))
    assert not list((run / "checkpoints").glob(".epoch_*")), "no half-written epoch folder left behind"

    straight = tmp_path / "straight"
    done = subprocess.run(_command(h36m_dir, straight), cwd=tmp_path, env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    reference, _, _ = load_latest(straight / "finetune")
    ours, theirs = load_file(str(folder / "model.safetensors")), load_file(str(reference / "model.safetensors"))
    assert ours.keys() == theirs.keys()
    for name, tensor in theirs.items():
        assert ours[name].equal(tensor), f"{name} differs from the uninterrupted run"
    best, reference_best = (json.loads((path / "finetune" / "best.json").read_text()) for path in (out, straight))
    assert best["metadata"]["training"]["epoch"] == reference_best["metadata"]["training"]["epoch"]


def test_resume_restores_a_best_checkpoint_the_kill_left_unwritten(tmp_path):
    """Killed after `latest.json` moved to the best epoch but before `best.*` was rewritten."""
    import torch

    from pstmo.checkpoint import load_checkpoint, save_checkpoint
    from pstmo.config import ModelConfig
    from pstmo.model import PSTMO
    from training.run_state import save_epoch

    config = ModelConfig(frames=9, layers=2, channel=32, d_hid=64)
    model = PSTMO(config)
    optimizer = torch.optim.Adam(model.parameters())
    metadata = {"training": {"epoch": 2}, "metrics": {"val_mpjpe_mm": 50.0}}
    save_epoch(tmp_path, 2, save_model=lambda path: save_checkpoint(path, model, config, stage=2, metadata=metadata),
               optimizer=optimizer, generator=torch.Generator(), info={"step": 5, "best_epoch": 2})
    (tmp_path / "checkpoints" / ".epoch_0003.abc").mkdir()
    (tmp_path / ".best.safetensors.xyz.tmp").write_bytes(b"half")
    (tmp_path / "log.jsonl").write_text('{"event": "epoch", "epoch": 2}\n{"event": "tr')
    load_latest(tmp_path)
    best = load_checkpoint(tmp_path / "best.json")
    assert best.metadata["training"]["epoch"] == 2 and best.metadata["metrics"]["best_epoch"] == 2
    for name, tensor in model.state_dict().items():
        assert best.model.state_dict()[name].equal(tensor), name
    assert not list((tmp_path / "checkpoints").glob(".epoch_*")) and not list(tmp_path.glob(".*.tmp"))
    assert (tmp_path / "log.jsonl").read_text().endswith("\n")
