"""The training dialog builds the `main.py train` command, follows log.jsonl live (one curve per stage and run),
handles a run folder in use, cancels, and offers only a checked Stage II result."""

from __future__ import annotations

import json
import sys
import textwrap

from PyQt5 import QtWidgets

from app.training_dialog import TrainingDialog, read_new_records, training_command

FAKE_TRAINER = textwrap.dedent("""
    import json, sys, time, pathlib
    stage_name, checkpoint = sys.argv[2], sys.argv[3]
    stage = 1 if stage_name == "pretrain" else 2
    run = pathlib.Path(sys.argv[1]) / stage_name
    run.mkdir(parents=True, exist_ok=True)
    with open(run / "log.jsonl", "a") as log:
        log.write(json.dumps({"event": "start", "stage": stage, "epoch": 0, "step": 0, "epochs": 2}) + "\\n")
        for epoch in (1, 2):
            for step in range(3):
                log.write(json.dumps({"event": "train", "stage": stage, "epoch": epoch, "step": 3 * epoch + step,
                                      "loss": 1.0 / (1 + step + 3 * epoch)}) + "\\n")
                log.flush()
                time.sleep(0.05)
            value = {"mpjpe_mm": 100.0 - epoch} if stage == 2 else {"loss": 0.5 - epoch / 10}
            log.write(json.dumps({"event": "val", "stage": stage, "epoch": epoch, "step": 3 * epoch + 2,
                                  **value}) + "\\n")
        source = pathlib.Path(checkpoint)
        header = json.loads(source.read_text())
        header["weights"] = "best.safetensors"
        (run / "best.safetensors").write_bytes(source.with_suffix(".safetensors").read_bytes())
        (run / "best.json").write_text(json.dumps(header))
        (run / "latest.json").write_text(json.dumps({"epoch": 2, "path": "checkpoints/epoch_0002"}))
        log.write(json.dumps({"event": "done", "stage": stage, "epoch": 2, "step": 8, "status": "finished",
                              "checkpoint": str(run / "best.json")}) + "\\n")
    print("finished")
""")


def fake_run(dialog, qtbot, tmp_path, stage: str, checkpoint) -> None:
    """Runs the fake trainer for `stage` ("pretrain" / "finetune") in the dialog's run folder."""
    script = tmp_path / "fake_train.py"
    script.write_text(FAKE_TRAINER)
    dialog.stage.setCurrentIndex(dialog.stage.findData(stage))
    with qtbot.waitSignal(dialog.process.finished, timeout=20_000):
        dialog.start(program=sys.executable, arguments=[str(script), dialog.out_dir.text(), stage, str(checkpoint)])
        assert dialog.cancel_button.isEnabled() and not dialog.start_button.isEnabled()


def make_dialog(qtbot, tmp_path) -> TrainingDialog:
    dialog = TrainingDialog()
    qtbot.addWidget(dialog)
    dialog.out_dir.setText(str(tmp_path / "run"))
    return dialog


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


def test_a_stage_ii_run_shows_live_curves_and_progress_then_offers_its_checked_checkpoint(qtbot, tmp_path,
                                                                                          checkpoints):
    dialog = make_dialog(qtbot, tmp_path)
    fake_run(dialog, qtbot, tmp_path, "finetune", checkpoints["centred"])
    run = dialog.plots[2].runs[0]
    assert len(run["train"][0]) == 6 and run["val"][1] == [99.0, 98.0]
    assert dialog.progress.value() == 100
    qtbot.waitUntil(lambda: dialog.finished_checkpoint is not None, timeout=30_000)
    assert dialog.finished_checkpoint == str(tmp_path / "run" / "finetune" / "best.json")
    assert "Stage II lifter" in dialog.offer_box.text()
    with qtbot.waitSignal(dialog.checkpoint_ready) as offered:
        dialog.offer_box.button(QtWidgets.QMessageBox.Yes).click()
    assert offered.args == [dialog.finished_checkpoint]
    assert "finished" in dialog.output.toPlainText()


def test_a_stage_i_run_is_not_offered_for_processing_and_leads_on_to_stage_ii(qtbot, tmp_path, stage1_checkpoint):
    dialog = make_dialog(qtbot, tmp_path)
    fake_run(dialog, qtbot, tmp_path, "pretrain", stage1_checkpoint)
    assert getattr(dialog, "offer_box", None) is None and dialog.finished_checkpoint is None
    assert "Stage I finished" in dialog.status.text() and "Stage II" in dialog.status.text()
    assert dialog.stage.currentData() == "finetune"


def test_a_finished_run_whose_checkpoint_cannot_lift_says_why_and_offers_nothing(qtbot, tmp_path,
                                                                                 stage1_checkpoint):
    dialog = make_dialog(qtbot, tmp_path)
    fake_run(dialog, qtbot, tmp_path, "finetune", stage1_checkpoint)  # a Stage I model where Stage II's should be
    qtbot.waitUntil(lambda: "cannot be used" in dialog.status.text(), timeout=30_000)
    assert "Stage I" in dialog.status.text() and getattr(dialog, "offer_box", None) is None


def test_each_stage_and_run_has_its_own_curve_on_axes_named_for_it(qtbot, tmp_path):
    dialog = make_dialog(qtbot, tmp_path)
    records = [{"event": "start", "stage": 1, "epoch": 0, "epochs": 1},
               {"event": "train", "stage": 1, "epoch": 1, "step": 1, "loss": 0.4},
               {"event": "val", "stage": 1, "epoch": 1, "step": 1, "loss": 0.41},
               {"event": "start", "stage": 2, "epoch": 0, "epochs": 2},
               {"event": "train", "stage": 2, "epoch": 1, "step": 1, "loss": 0.5},
               {"event": "val", "stage": 2, "epoch": 1, "step": 1, "mpjpe_mm": 455.0},
               {"event": "start", "stage": 2, "epoch": 1, "epochs": 2},
               {"event": "val", "stage": 2, "epoch": 2, "step": 2, "mpjpe_mm": 300.0}]
    for record in records:
        dialog.add_record(record)
    stage1, stage2 = dialog.plots[1], dialog.plots[2]
    assert [r["val"][1] for r in stage1.runs] == [[0.41]]
    assert [r["val"][1] for r in stage2.runs] == [[455.0], [300.0]]
    assert [r["name"] for r in stage2.runs] == ["run 1", "run 2 (resumed)"]
    assert stage2.val_plot.getPlotItem().titleLabel.text == "Stage II validation MPJPE"
    assert "mm" in stage2.val_plot.getPlotItem().getAxis("left").labelText
    assert "loss" in stage1.val_plot.getPlotItem().titleLabel.text
    assert "metres" in stage2.loss_plot.getPlotItem().getAxis("left").labelText


def test_starting_again_in_a_used_folder_offers_resume_or_a_new_folder(qtbot, tmp_path, monkeypatch):
    dialog = make_dialog(qtbot, tmp_path)
    used = tmp_path / "run" / "finetune"
    used.mkdir(parents=True)
    (used / "latest.json").write_text(json.dumps({"epoch": 3, "path": "checkpoints/epoch_0003"}))
    (used / "log.jsonl").write_text(json.dumps({"event": "done", "stage": 2, "epoch": 3, "step": 9}) + "\n")
    (tmp_path / "run" / "pretrain").mkdir()
    (tmp_path / "run" / "pretrain" / "best.json").write_text("{}")
    dialog.show()
    started = []
    monkeypatch.setattr(dialog.process, "start", lambda program, args: started.append(args))
    dialog.stage.setCurrentIndex(dialog.stage.findData("finetune"))
    dialog.start_button.click()
    assert dialog.used_banner.isVisible() and "3 epochs done" in dialog.used_text.text()
    assert started == [] and dialog.progress.value() == 0

    dialog.used_new.click()
    assert dialog.out_dir.text() == str(tmp_path / "run_2")
    assert started and f"out_dir={tmp_path / 'run_2'}" in started[-1] and "--resume" not in started[-1]
    assert f"pretrained={tmp_path / 'run' / 'pretrain' / 'best.json'}" in started[-1], "Stage I of the old folder"
    dialog._set_running(False)

    dialog.out_dir.setText(str(tmp_path / "run"))
    dialog.start_button.click()
    dialog.used_resume.click()
    assert started[-1][-1] == "--resume" and f"out_dir={tmp_path / 'run'}" in started[-1]
    assert dialog.progress.value() < 100, "the old run's `done` does not fill the bar"


def test_cancel_stops_the_training_process_and_allows_resume(qtbot, tmp_path):
    dialog = make_dialog(qtbot, tmp_path)
    dialog.start(program=sys.executable, arguments=["-c", "import time; time.sleep(60)"])
    qtbot.waitUntil(lambda: dialog.process.state() == dialog.process.Running, timeout=10_000)
    with qtbot.waitSignal(dialog.process.finished, timeout=10_000):
        dialog.cancel_button.click()
    assert dialog.status.text().startswith("Cancelled")
    assert dialog.resume_button.isEnabled()


def test_a_failing_run_reports_its_last_line(qtbot, tmp_path):
    dialog = make_dialog(qtbot, tmp_path)
    with qtbot.waitSignal(dialog.process.finished, timeout=10_000):
        dialog.start(program=sys.executable, arguments=["-c", "import sys; print('error: bad data'); sys.exit(1)"])
    assert "exit code 1" in dialog.status.text() and "bad data" in dialog.status.text()
