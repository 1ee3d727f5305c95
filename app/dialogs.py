"""Dialogs: Settings (pipeline options), Open webcam, Export."""

from __future__ import annotations

from pathlib import Path

from PyQt5 import QtWidgets

from motion.exporters import FORMATS as EXPORT_FORMATS
from motion.smoothing import CHOICES as SMOOTHING_METHODS
from pipeline.settings import UP_AXES, PipelineSettings, default_checkpoint

DETECTORS = ("mediapipe", "mmpose")
RESOLUTIONS = ("640x480", "1280x720", "1920x1080")


def _path_row(edit: QtWidgets.QLineEdit, caption: str, filter_text: str = "", folder: bool = False,
              save: bool = False) -> QtWidgets.QWidget:
    """A line edit with a Browse... button."""
    row = QtWidgets.QWidget()
    layout = QtWidgets.QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    button = QtWidgets.QPushButton("Browse...")

    def browse() -> None:
        if folder:
            path = QtWidgets.QFileDialog.getExistingDirectory(row, caption, edit.text())
        elif save:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(row, caption, edit.text(), filter_text)
        else:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(row, caption, edit.text(), filter_text)
        if path:
            edit.setText(path)

    button.clicked.connect(browse)
    layout.addWidget(edit, 1)
    layout.addWidget(button)
    return row


def _buttons(dialog: QtWidgets.QDialog) -> QtWidgets.QDialogButtonBox:
    box = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class SettingsDialog(QtWidgets.QDialog):
    """Detector backend, lifter checkpoint, device, flip TTA, smoothing and target person."""

    def __init__(self, settings: PipelineSettings, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(640)
        self.detector = QtWidgets.QComboBox()
        self.detector.addItems(DETECTORS)
        self.detector.setCurrentText(settings.detector)
        self.checkpoint = QtWidgets.QLineEdit(settings.checkpoint or "")
        shipped = default_checkpoint()
        self.checkpoint.setPlaceholderText(f"default: {shipped}" if shipped else "no checkpoint shipped yet")
        self.live_checkpoint = QtWidgets.QLineEdit(settings.live_checkpoint or "")
        self.live_checkpoint.setPlaceholderText("optional causal model for low-latency live mode")
        self.device = QtWidgets.QComboBox()
        self.device.addItems(("auto", "cpu", "cuda"))
        self.device.setCurrentText(settings.device)
        self.flip = QtWidgets.QCheckBox("Flip test-time augmentation (slower, slightly more accurate)")
        self.flip.setChecked(settings.flip)
        self.smoothing = QtWidgets.QComboBox()
        self.smoothing.addItems(SMOOTHING_METHODS)
        self.smoothing.setCurrentText(settings.smoothing)
        self.person = QtWidgets.QLineEdit(str(settings.person))
        self.person.setToolTip("'largest' or the id shown on the video (#1, #2, ...)")
        form = QtWidgets.QFormLayout(self)
        form.addRow("2D detector", self.detector)
        form.addRow("Lifter checkpoint", _path_row(self.checkpoint, "Checkpoint", "Checkpoints (*.safetensors *.json)"))
        form.addRow("Live checkpoint", _path_row(self.live_checkpoint, "Live checkpoint",
                                                 "Checkpoints (*.safetensors *.json)"))
        form.addRow("Device", self.device)
        form.addRow("", self.flip)
        form.addRow("Smoothing", self.smoothing)
        form.addRow("Target person", self.person)
        form.addRow(_buttons(self))
        self._base = settings

    def settings(self) -> PipelineSettings:
        """The edited settings (raises ValueError for a bad person id)."""
        data = self._base.to_dict()
        data.update(detector=self.detector.currentText(), checkpoint=self.checkpoint.text().strip() or None,
                    live_checkpoint=self.live_checkpoint.text().strip() or None, device=self.device.currentText(),
                    flip=self.flip.isChecked(), smoothing=self.smoothing.currentText(), person=self.person.text())
        return PipelineSettings.from_dict(data)


class WebcamDialog(QtWidgets.QDialog):
    """Webcam device and resolution, live mode (low latency / accurate) and optional recording."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, mode: str = "causal") -> None:
        super().__init__(parent)
        self.setWindowTitle("Open webcam")
        self.device = QtWidgets.QSpinBox(minimum=0, maximum=16)
        self.resolution = QtWidgets.QComboBox()
        self.resolution.addItems(RESOLUTIONS)
        self.mode = QtWidgets.QComboBox()
        self.mode.addItem("Low latency (causal model)", "causal")
        self.mode.addItem("Accurate (centred model, delayed by half a window)", "centred")
        self.mode.setCurrentIndex(0 if mode == "causal" else 1)
        self.record = QtWidgets.QCheckBox("Record to")
        self.record_path = QtWidgets.QLineEdit(str(Path.home() / "pstmo_recording.mp4"))
        form = QtWidgets.QFormLayout(self)
        form.addRow("Device", self.device)
        form.addRow("Resolution", self.resolution)
        form.addRow("Mode", self.mode)
        form.addRow(self.record, _path_row(self.record_path, "Record to", "Video (*.mp4)", save=True))
        form.addRow(_buttons(self))

    def size_wh(self) -> tuple[int, int]:
        w, h = self.resolution.currentText().split("x")
        return int(w), int(h)

    def live_mode(self) -> str:
        return self.mode.currentData()

    def record_file(self) -> str | None:
        return self.record_path.text().strip() or None if self.record.isChecked() else None


class ExportDialog(QtWidgets.QDialog):
    """Output folder, formats (CSV, BVH, JSON, NPZ) and motion options (world frame, root trajectory, ...)."""

    def __init__(self, settings: PipelineSettings, folder: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.folder = QtWidgets.QLineEdit(folder)
        self.formats = {fmt: QtWidgets.QCheckBox(fmt.upper()) for fmt in EXPORT_FORMATS}
        for fmt, box in self.formats.items():
            box.setChecked(fmt in settings.exports)
        self.world = QtWidgets.QCheckBox("World frame (floor at 0, up axis vertical)")
        self.world.setChecked(settings.world)
        self.root = QtWidgets.QCheckBox("Include the root trajectory")
        self.root.setChecked(settings.root_trajectory)
        self.foot_lock = QtWidgets.QCheckBox("Lock feet in contact with the floor")
        self.foot_lock.setChecked(settings.foot_lock)
        self.constant_bones = QtWidgets.QCheckBox("Constant bone lengths")
        self.constant_bones.setChecked(settings.constant_bones)
        self.smoothing = QtWidgets.QComboBox()
        self.smoothing.addItems(SMOOTHING_METHODS)
        self.smoothing.setCurrentText(settings.smoothing)
        self.up = QtWidgets.QComboBox()
        self.up.addItems(UP_AXES)
        self.up.setCurrentText(settings.up)
        formats = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(formats)
        row.setContentsMargins(0, 0, 0, 0)
        for box in self.formats.values():
            row.addWidget(box)
        form = QtWidgets.QFormLayout(self)
        form.addRow("Folder", _path_row(self.folder, "Export folder", folder=True))
        form.addRow("Formats", formats)
        for box in (self.world, self.root, self.foot_lock, self.constant_bones):
            form.addRow("", box)
        form.addRow("Smoothing", self.smoothing)
        form.addRow("Up axis", self.up)
        form.addRow(_buttons(self))
        self._base = settings

    def settings(self) -> PipelineSettings:
        data = self._base.to_dict()
        data.update(exports=[f for f, box in self.formats.items() if box.isChecked()], world=self.world.isChecked(),
                    root_trajectory=self.root.isChecked(), foot_lock=self.foot_lock.isChecked(),
                    constant_bones=self.constant_bones.isChecked(), smoothing=self.smoothing.currentText(),
                    up=self.up.currentText())
        return PipelineSettings.from_dict(data)

    def out_dir(self) -> str:
        return self.folder.text().strip()
