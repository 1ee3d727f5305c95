"""`main.py train` / `main.py evaluate` from the command line, configs, and a 2-process DDP run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from main import main
from pstmo.errors import InputError
from training.config import load_config
from training.run_log import read_log

REPO = Path(__file__).resolve().parents[2]


def test_every_shipped_config_describes_a_valid_model(repo_root):
    configs = sorted((repo_root / "configs").glob("*.yaml"))
    assert len(configs) >= 10
    for path in configs:
        config = load_config(path)
        model = config.model
        assert model.frames in (9, 27, 81, 243)


def test_paper_configs_have_the_paper_settings(repo_root):
    small = load_config(repo_root / "configs" / "pstmo_s_243.yaml")
    assert small.model.layers == 3 and small.learning_rate() == 7e-4 and small.batch_size == 160
    assert (small.temporal_mask_ratio, small.spatial_mask_joints) == (0.8, 2)
    large = load_config(repo_root / "configs" / "pstmo_243.yaml")
    assert large.model.layers == 4 and large.learning_rate() == 1e-3
    assert (large.temporal_mask_ratio, large.spatial_mask_joints) == (0.6, 3)
    assert load_config(repo_root / "configs" / "pstmo_s_81_causal.yaml").model.causal


def test_overrides_are_read_as_yaml_values(repo_root):
    config = load_config(repo_root / "configs" / "tiny.yaml", ["epochs=7", "train_subjects=[S5, S6]", "lr=1e-4"])
    assert config.epochs == 7 and config.train_subjects == ["S5", "S6"] and config.lr == 1e-4


def test_unknown_settings_and_missing_files_are_one_line_errors(repo_root, tmp_path):
    with pytest.raises(InputError, match="unknown settings epoch_count"):
        load_config(repo_root / "configs" / "tiny.yaml", ["epoch_count=3"])
    with pytest.raises(InputError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="mapping"):
        load_config(tmp_path / "list.yaml")


def test_settings_of_the_wrong_type_name_the_file_the_key_and_what_was_expected(repo_root):
    tiny = repo_root / "configs" / "tiny.yaml"
    with pytest.raises(InputError, match=r"tiny.yaml: setting epochs: .*integer.*'many'"):
        load_config(tiny, ["epochs=many"])
    with pytest.raises(InputError, match=r"setting train_subjects\.1: .*string"):
        load_config(tiny, ["train_subjects=[S1, [S5]]"])
    with pytest.raises(InputError, match="unknown settings frames .*model.frames"):
        load_config(tiny, ["frames=27"])
    assert load_config(tiny, ["model.frames=27", "model.tds=3"]).model.receptive_field == 79


def test_train_then_evaluate_through_main(repo_root, h36m_dir, tmp_path, capsys):
    out = tmp_path / "run"
    common = ["--config", str(repo_root / "configs" / "tiny.yaml"), f"data_dir={h36m_dir}", "tensorboard=false",
              "pretrained=null", "finetune_epochs=1", "--out", str(out), "--quiet"]
    assert main(["train", "finetune", *common]) == 0
    checkpoint = out / "finetune" / "best.json"
    report_path = tmp_path / "eval.json"
    code = main(["evaluate", "--checkpoint", str(checkpoint), "--data", str(h36m_dir), "--input", "gt",
                 "--subjects", "S9", "--every", "400", "--json", str(report_path), "--quiet", "--threads", "1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Average" in printed and "Walking" in printed
    report = json.loads(report_path.read_text())
    assert set(report["per_action"]) >= {"Walking", "Directions", "Eating"} and len(report["per_action"]) == 15
    assert report["mpjpe_mm"] > report["p_mpjpe_mm"] > 0


def test_evaluating_a_stage_one_checkpoint_is_refused(repo_root, h36m_dir, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["--config", str(repo_root / "configs" / "tiny.yaml"), f"data_dir={h36m_dir}", "tensorboard=false",
            "pretrain_epochs=1", "--out", str(out), "--quiet"]
    assert main(["train", "pretrain", *args]) == 0
    code = main(["evaluate", "--checkpoint", str(out / "pretrain" / "best.json"), "--data", str(h36m_dir)])
    assert code == 1
    assert "Stage I (pre-training) checkpoint cannot lift" in capsys.readouterr().err


def test_a_two_process_torchrun_job_trains_with_gloo_on_cpu(repo_root, h36m_dir, tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun not installed beside this Python")
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    command = [str(torchrun), "--standalone", "--nproc_per_node", "2", str(REPO / "main.py"), "train", "finetune",
               "--config", str(repo_root / "configs" / "tiny.yaml"), f"data_dir={h36m_dir}", "tensorboard=false",
               "pretrained=null", "finetune_epochs=2", "--out", str(out), "--quiet"]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    records = read_log(out / "finetune" / "log.jsonl")
    start = records[0]
    assert start["event"] == "start" and start["world_size"] == 2
    epochs = [r for r in records if r["event"] == "epoch"]
    assert len(epochs) == 2 and epochs[1]["train_loss"] < epochs[0]["train_loss"]
    assert (out / "finetune" / "best.safetensors").is_file()


def test_sigterm_stops_a_training_subprocess_keeping_complete_epochs(repo_root, h36m_dir, tmp_path):
    import signal
    import time

    out = tmp_path / "run"
    command = [sys.executable, str(REPO / "main.py"), "train", "finetune", "--config",
               str(repo_root / "configs" / "tiny.yaml"), f"data_dir={h36m_dir}", "tensorboard=false",
               "pretrained=null", "epochs=200", "--out", str(out), "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    log = out / "finetune" / "log.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and not (log.is_file() and '"event": "epoch"' in log.read_text()):
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 130, stdout
    assert "resume with --resume" in stdout
    records = read_log(log)
    assert records[-1]["event"] == "done" and records[-1]["status"] == "cancelled"
    assert json.loads((out / "finetune" / "latest.json").read_text())["epoch"] >= 1


def test_exporting_to_float16_keeps_the_predictions(repo_root, h36m_dir, tmp_path):
    import torch

    from pstmo.checkpoint import load_checkpoint
    from training.export import export_checkpoint

    out = tmp_path / "run"
    assert main(["train", "finetune", "--config", str(repo_root / "configs" / "tiny.yaml"), f"data_dir={h36m_dir}",
                 "tensorboard=false", "pretrained=null", "epochs=1", "--out", str(out), "--quiet"]) == 0
    shipped = export_checkpoint(out / "finetune" / "best.json", tmp_path / "default", dtype="float16",
                                metadata={"licence": "research only"})
    original, half = load_checkpoint(out / "finetune" / "best.json"), load_checkpoint(shipped)
    assert half.metadata["licence"] == "research only" and "metrics" in half.metadata
    x = torch.randn(4, 9, 17, 2) * 0.3
    with torch.no_grad():
        difference = (original.model(x)[0] - half.model(x)[0]).abs().max().item()
    assert difference < 2e-3  # metres
