"""Settings, webcam and export dialogs turn their widgets into settings."""

from __future__ import annotations

import pytest

from app.dialogs import ExportDialog, SettingsDialog, WebcamDialog
from pipeline.settings import PipelineSettings


def test_the_settings_dialog_returns_the_edited_settings(qtbot):
    dialog = SettingsDialog(PipelineSettings())
    qtbot.addWidget(dialog)
    dialog.device.setCurrentText("cpu")
    dialog.flip.setChecked(False)
    dialog.smoothing.setCurrentText("savgol")
    dialog.person.setText("2")
    dialog.checkpoint.setText("/models/mine.json")
    settings = dialog.settings()
    assert (settings.device, settings.flip, settings.smoothing, settings.person) == ("cpu", False, "savgol", 2)
    assert settings.checkpoint == "/models/mine.json"


def test_the_settings_dialog_rejects_a_person_that_is_not_an_id(qtbot):
    dialog = SettingsDialog(PipelineSettings())
    qtbot.addWidget(dialog)
    dialog.person.setText("the tall one")
    with pytest.raises(ValueError, match="person"):
        dialog.settings()


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
    dialog = ExportDialog(PipelineSettings(exports="csv"), str(tmp_path))
    qtbot.addWidget(dialog)
    assert dialog.formats["csv"].isChecked() and not dialog.formats["bvh"].isChecked()
    dialog.formats["bvh"].setChecked(True)
    dialog.foot_lock.setChecked(True)
    dialog.up.setCurrentText("z")
    settings = dialog.settings()
    assert settings.exports == ("csv", "bvh") and settings.foot_lock and settings.up == "z"
    assert dialog.out_dir() == str(tmp_path)
