"""The training dialog builds the `main.py train` command, follows log.jsonl live, cancels and offers the result."""

from __future__ import annotations

import sys
import textwrap

from PyQt5 import QtWidgets

from app.training_dialog import TrainingDialog, read_new_records, training_command

FAKE_TRAINER = textwrap.dedent("""
    import json, sys, time, pathlib
    run = pathlib.Path(sys.argv[1]) / "finetune"
    run.mkdir(parents=True, exist_ok=True)
    with open(run / "log.jsonl", "a") as log:
        log.write(json.dumps({"event": "start", "stage": 2, "epoch": 0, "step": 0, "epochs": 2}) + "\\n")
        for epoch in (1, 2):
            for step in range(3):
                log.write(json.dumps({"event": "train", "stage": 2, "epoch": epoch, "step": 3 * epoch + step,
                                      "loss": 1.0 / (1 + step + 3 * epoch)}) + "\\n")
                log.flush()
                time.sleep(0.05)
            log.write(json.dumps({"event": "val", "stage": 2, "epoch": epoch, "step": 3 * epoch + 2,
                                  "mpjpe_mm": 100.0 - epoch}) + "\\n")
        (run / "best.safetensors").write_bytes(b"weights")
        (run / "best.json").write_text("{}")
        (run / "latest.json").write_text("{}")
        (run / "latest.safetensors").write_bytes(b"weights")
        log.write(json.dumps({"event": "done", "stage": 2, "epoch": 2, "step": 8, "status": "finished",
                              "checkpoint": str(run / "best.json")}) + "\\n")
    print("finished")
""")


def test_the_command_carries_stage_config_data_device_overrides_and_resume(tmp_path):
    args = training_command("finetune", "configs/tiny.yaml", 2, "/data/bvh", "epochs=2 lr=0.001", "cpu",
                            str(tmp_path), resume=True)
    assert args[1:5] == ["train", "finetune", "--config", "configs/tiny.yaml"]
    assert {"dataset=bvh", "data_dir=/data/bvh", "device=cpu", f"out_dir={tmp_path}", "epochs=2",
            "lr=0.001"} <= set(args)
    assert args[-1] == "--resume"
    own_tracks = training_command("pretrain", "c.yaml", 3, "/my/tracks", "", "auto", "runs/x", resume=False)
    assert "pretrain_data=/my/tracks" in own_tracks and "--resume" not in own_tracks


def test_only_complete_log_lines_are_read(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text('{"event": "train", "loss": 1.0}\n{"event": "tr')
    records, offset = read_new_records(log, 0)
    assert records == [{"event": "train", "loss": 1.0}]
    with open(log, "a") as handle:
        handle.write('ain", "loss": 0.5}\n')
    records, _ = read_new_records(log, offset)
    assert records == [{"event": "train", "loss": 0.5}]


def test_a_run_shows_live_curves_and_progress_then_offers_its_checkpoint(qtbot, tmp_path):
    dialog = TrainingDialog()
    qtbot.addWidget(dialog)
    dialog.out_dir.setText(str(tmp_path))
    script = tmp_path / "fake_train.py"
    script.write_text(FAKE_TRAINER)
    with qtbot.waitSignal(dialog.process.finished, timeout=20_000):
        dialog.start(program=sys.executable, arguments=[str(script), str(tmp_path)])
        assert dialog.cancel_button.isEnabled() and not dialog.start_button.isEnabled()
    assert len(dialog.train_curve.getData()[0]) == 6
    assert list(dialog.val_curve.getData()[1]) == [99.0, 98.0]
    assert dialog.progress.value() == 100
    assert dialog.finished_checkpoint == str(tmp_path / "finetune" / "best.json")
    with qtbot.waitSignal(dialog.checkpoint_ready) as offered:
        dialog.offer_box.button(QtWidgets.QMessageBox.Yes).click()
    assert offered.args == [dialog.finished_checkpoint]
    assert "finished" in dialog.output.toPlainText()


def test_cancel_stops_the_training_process_and_allows_resume(qtbot, tmp_path):
    dialog = TrainingDialog()
    qtbot.addWidget(dialog)
    dialog.out_dir.setText(str(tmp_path))
    dialog.start(program=sys.executable, arguments=["-c", "import time; time.sleep(60)"])
    qtbot.waitUntil(lambda: dialog.process.state() == dialog.process.Running, timeout=10_000)
    with qtbot.waitSignal(dialog.process.finished, timeout=10_000):
        dialog.cancel_button.click()
    assert dialog.status.text().startswith("Cancelled")
    assert dialog.resume_button.isEnabled()


def test_a_failing_run_reports_its_last_line(qtbot, tmp_path):
    dialog = TrainingDialog()
    qtbot.addWidget(dialog)
    dialog.out_dir.setText(str(tmp_path))
    with qtbot.waitSignal(dialog.process.finished, timeout=10_000):
        dialog.start(program=sys.executable, arguments=["-c", "import sys; print('error: bad data'); sys.exit(1)"])
    assert "exit code 1" in dialog.status.text() and "bad data" in dialog.status.text()
