"""Settings, webcam and export dialogs: they turn their widgets into settings, check each field where it is
edited (checkpoints in a worker), and keep every edit while a field is wrong."""

from __future__ import annotations

from PyQt5 import QtWidgets

from app.dialogs import SMOOTHING_LABELS, ExportDialog, SettingsDialog, WebcamDialog
from pipeline.settings import PipelineSettings


def settled(qtbot, dialog: SettingsDialog) -> None:
    """Waits for the dialog's checkpoint checks (they run in worker threads)."""
    qtbot.waitUntil(lambda: "checking" not in (dialog.checkpoint.state, dialog.live_checkpoint.state),
                    timeout=30_000)


def ok_button(dialog) -> QtWidgets.QPushButton:
    return dialog.buttons.button(QtWidgets.QDialogButtonBox.Ok)


def test_the_settings_dialog_returns_the_edited_settings(qtbot, checkpoints):
    dialog = SettingsDialog(PipelineSettings())
    qtbot.addWidget(dialog)
    dialog.device.setCurrentText("cpu")
    dialog.precision.setCurrentText("float32")
    dialog.flip.setChecked(False)
    dialog.smoothing.setCurrentIndex(dialog.smoothing.findData("butterworth"))
    dialog.person.setEditText("2")
    dialog.checkpoint.edit.setText(str(checkpoints["centred"]))
    dialog.checkpoint.check()
    settled(qtbot, dialog)
    assert dialog.checkpoint.state == "ok" and "Stage II lifter" in dialog.checkpoint.note.text()
    settings = dialog.settings()
    assert (settings.device, settings.flip, settings.smoothing, settings.person) == ("cpu", False, "butterworth", 2)
    assert settings.precision == "float32"
    assert settings.checkpoint == str(checkpoints["centred"])


def test_the_target_person_accepts_the_id_as_drawn_on_the_video_and_the_rules(qtbot):
    dialog = SettingsDialog(PipelineSettings())
    qtbot.addWidget(dialog)
    assert dialog.person_value() == "main", "the default rule is preselected"
    for text, value in (("#0", 0), ("0", 0), ("#3", 3), ("longest", "longest")):
        dialog.person.setEditText(text)
        assert dialog.person_value() == value
        assert "person" not in dialog.validate()
    dialog.person.setCurrentIndex(dialog.person.findData("largest"))
    assert dialog.person_value() == "largest"


def test_a_wrong_person_keeps_the_dialog_open_with_every_edit_and_says_why(qtbot):
    dialog = SettingsDialog(PipelineSettings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.flip.setChecked(False)
    dialog.device.setCurrentText("cpu")
    dialog.person.setEditText("the tall one")
    ok_button(dialog).click()
    assert dialog.isVisible() and dialog.result() != QtWidgets.QDialog.Accepted
    assert dialog.errors["person"].isVisible() and "#0" in dialog.errors["person"].text()
    assert not dialog.flip.isChecked() and dialog.device.currentText() == "cpu", "the valid edits are kept"
    dialog.person.setEditText("#1")
    assert not dialog.errors["person"].isVisible()
    ok_button(dialog).click()
    assert dialog.result() == QtWidgets.QDialog.Accepted
    assert (dialog.settings().person, dialog.settings().flip) == (1, False)


def test_a_stage_i_checkpoint_is_refused_where_it_is_chosen(qtbot, stage1_checkpoint):
    dialog = SettingsDialog(PipelineSettings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.checkpoint.edit.setText(str(stage1_checkpoint))
    dialog.checkpoint.check()
    settled(qtbot, dialog)
    assert dialog.checkpoint.state == "error"
    assert "Stage I" in dialog.checkpoint.note.text() and stage1_checkpoint.name in dialog.checkpoint.note.text()
    ok_button(dialog).click()
    assert dialog.isVisible(), "OK does not take a checkpoint that cannot lift"


def test_a_missing_or_corrupt_checkpoint_is_refused_with_the_reason(qtbot, tmp_path, checkpoints):
    corrupt = tmp_path / "broken.json"
    corrupt.write_text('{"format": "pstmo-checkpoint", "form')
    truncated = tmp_path / "cut.json"
    header = checkpoints["centred"].read_text().replace(checkpoints["centred"].stem + ".safetensors",
                                                        "cut.safetensors")
    truncated.write_text(header)
    (tmp_path / "cut.safetensors").write_bytes(checkpoints["centred"].with_suffix(".safetensors").read_bytes()[:500])
    dialog = SettingsDialog(PipelineSettings())
    qtbot.addWidget(dialog)
    for path, words in ((tmp_path / "nothing.json", "not found"), (corrupt, "corrupt"), (truncated, "cut")):
        dialog.live_checkpoint.edit.setText(str(path))
        dialog.live_checkpoint.check()
        settled(qtbot, dialog)
        assert dialog.live_checkpoint.state == "error", path
        assert words in dialog.live_checkpoint.note.text(), dialog.live_checkpoint.note.text()
    dialog.live_checkpoint.edit.setText("")
    dialog.live_checkpoint.check()
    assert dialog.live_checkpoint.state == "empty" and "shipped" in dialog.live_checkpoint.note.text()


def test_choosing_mmpose_shows_its_model_fields_and_says_when_it_is_not_installed(qtbot, monkeypatch, tmp_path):
    import app.dialogs

    monkeypatch.setattr(app.dialogs, "mmpose_installed", lambda: False)
    dialog = SettingsDialog(PipelineSettings())
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.mmpose_box.isVisible()
    dialog.detector.setCurrentIndex(dialog.detector.findData("mmpose"))
    assert dialog.mmpose_box.isVisible()
    assert set(dialog.mmpose_fields) == {"pose_config", "pose_checkpoint", "det_config", "det_checkpoint"}
    assert "make mmpose" in dialog.mmpose_hint.text()
    assert "not installed" in dialog.errors["detector"].text()
    ok_button(dialog).click()
    assert dialog.isVisible()

    monkeypatch.setattr(app.dialogs, "mmpose_installed", lambda: True)
    config = tmp_path / "rtmpose.py"
    config.write_text("# config")
    dialog.mmpose_fields["pose_config"].setText(str(config))
    dialog.mmpose_fields["pose_checkpoint"].setText(str(tmp_path / "missing.pth"))
    assert "missing.pth: file not found" in dialog.errors["detector"].text()
    dialog.mmpose_fields["pose_checkpoint"].setText("")
    assert not dialog.errors["detector"].isVisible()
    settings = dialog.settings()
    assert settings.detector == "mmpose" and settings.detector_options == {"pose_config": str(config)}


def test_the_webcam_dialog_gives_device_resolution_mode_and_recording(qtbot, tmp_path):
    dialog = WebcamDialog()
    qtbot.addWidget(dialog)
    dialog.device.setValue(1)
    dialog.resolution.setCurrentText("1280x720")
    dialog.mode.setCurrentIndex(1)
    assert dialog.record_file() is None
    dialog.record.setChecked(True)
    dialog.record_path.setText(str(tmp_path / "rec.mp4"))
    assert (dialog.device.value(), dialog.size_wh(), dialog.live_mode()) == (1, (1280, 720), "centred")
    assert dialog.record_file() == str(tmp_path / "rec.mp4")


def test_the_export_dialog_gives_formats_and_motion_options(qtbot, tmp_path):
    dialog = ExportDialog(PipelineSettings(exports="csv"), str(tmp_path), stem="walk")
    qtbot.addWidget(dialog)
    assert dialog.formats["csv"].isChecked() and not dialog.formats["bvh"].isChecked()
    dialog.formats["bvh"].setChecked(True)
    dialog.foot_lock.setChecked(True)
    dialog.up.setCurrentIndex(dialog.up.findData("z"))
    settings = dialog.settings()
    assert settings.exports == ("csv", "bvh") and settings.foot_lock and settings.up == "z"
    assert dialog.out_dir() == str(tmp_path)
    assert "walk.csv" in dialog.files.text() and "walk.bvh" in dialog.files.text()


def test_smoothing_choices_are_explained_in_plain_words(qtbot, tmp_path):
    dialog = ExportDialog(PipelineSettings(smoothing="savgol"), str(tmp_path))
    qtbot.addWidget(dialog)
    texts = [dialog.smoothing.itemText(i) for i in range(dialog.smoothing.count())]
    assert texts[0] == SMOOTHING_LABELS["savgol"] and "recommended" in texts[0]
    assert not any(name in text for text in texts for name in ("savgol", "one_euro", "butterworth"))
    assert dialog.smoothing.currentData() == "savgol"


def test_export_needs_a_format_and_a_folder_that_is_not_a_file(qtbot, tmp_path):
    dialog = ExportDialog(PipelineSettings(exports="csv"), str(tmp_path))
    qtbot.addWidget(dialog)
    assert ok_button(dialog).isEnabled()
    dialog.formats["csv"].setChecked(False)
    assert not ok_button(dialog).isEnabled() and "format" in dialog.problem.text()
    dialog.formats["json"].setChecked(True)
    in_the_way = tmp_path / "out"
    in_the_way.write_text("a file")
    dialog.folder.setText(str(in_the_way))
    assert not ok_button(dialog).isEnabled() and "is a file, not a folder" in dialog.problem.text()
