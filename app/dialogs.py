"""Dialogs: Settings (pipeline options, checked field by field), Open webcam, Export."""

from __future__ import annotations

from pathlib import Path

from PyQt5 import QtCore, QtWidgets

from app.checks import ERROR_STYLE, CheckpointRow, mmpose_installed
from detectors.tracker import parse_person
from motion.exporters import FORMATS as EXPORT_FORMATS
from motion.smoothing import CHOICES as SMOOTHING_METHODS
from pipeline.settings import UP_AXES, PipelineSettings, default_checkpoint, default_live_checkpoint
from pstmo.device import PRECISIONS

DETECTORS = (  # name, label
    ("mediapipe", "MediaPipe BlazePose (built in, works offline)"),
    ("mmpose", "MMPose (optional: needs `make mmpose` and a model)"),
)
RESOLUTIONS = ("640x480", "1280x720", "1920x1080")
SMOOTHING_LABELS = {  # plain words for motion.smoothing's methods
    "savgol": "Smooth, keeps quick moves (recommended)",
    "butterworth": "Smooth and steady (6 Hz low-pass; softens quick moves)",
    "one_euro": "Light, reacts at once (the live-mode filter)",
    "none": "Off: the lifter's raw output (jittery)",
}
PERSON_CHOICES = (  # rule, label
    ("main", "Main person: in view longest and large (default)"),
    ("largest", "Largest: the tallest person seen steadily"),
    ("longest", "Longest: seen in the most frames"),
    ("all", "Everyone: each person seen for 1 s or more, in one scene (exports one file per person)"),
)
FORMAT_TIPS = {
    "csv": "CSV: one row per frame, x/y/z of 17 joints in metres (spreadsheets, Python)",
    "bvh": "BVH: a skeleton animation for Blender, Maya, game engines",
    "json": "JSON: joints plus fps, units, coordinate frame and source",
    "npz": "NPZ: NumPy arrays (joints, fps, ...)",
}


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
            edit.editingFinished.emit()

    button.clicked.connect(browse)
    layout.addWidget(edit, 1)
    layout.addWidget(button)
    return row


def _buttons(dialog: QtWidgets.QDialog) -> QtWidgets.QDialogButtonBox:
    box = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


def smoothing_combo(current: str) -> QtWidgets.QComboBox:
    """A combo box of the smoothing methods in plain words (item data = the method's name)."""
    combo = QtWidgets.QComboBox()
    for method in ("savgol", "butterworth", "one_euro", "none"):
        if method in SMOOTHING_METHODS:
            combo.addItem(SMOOTHING_LABELS[method], method)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    combo.setToolTip("How the 3D motion is smoothed over time before it is shown and exported")
    return combo


def _error_label() -> QtWidgets.QLabel:
    label = QtWidgets.QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setVisible(False)
    return label


class SettingsDialog(QtWidgets.QDialog):
    """Detector backend (with MMPose's model fields), lifter checkpoints, device, flip TTA, smoothing and target
    person. Each field is checked as it is edited (checkpoints are loaded in a worker thread); OK keeps the
    dialog open, with every edit, while a field is wrong, and says which and why."""

    def __init__(self, settings: PipelineSettings, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(720)
        self._base = settings
        self.detector = QtWidgets.QComboBox()
        for name, label in DETECTORS:
            self.detector.addItem(label, name)
        self.detector.setCurrentIndex(max(self.detector.findData(settings.detector), 0))
        options = settings.detector_options if settings.detector == "mmpose" else {}
        self.mmpose_fields = {key: QtWidgets.QLineEdit(str(options.get(key) or "")) for key in
                              ("pose_config", "pose_checkpoint", "det_config", "det_checkpoint")}
        self.mmpose_fields["pose_config"].setPlaceholderText("config .py or model-zoo name (default: human)")
        self.mmpose_fields["pose_checkpoint"].setPlaceholderText(".pth (optional with a zoo name)")
        self.mmpose_fields["det_config"].setPlaceholderText("person detector config (optional)")
        self.mmpose_fields["det_checkpoint"].setPlaceholderText("person detector .pth (optional)")
        self.mmpose_hint = QtWidgets.QLabel()
        self.mmpose_box = QtWidgets.QGroupBox("MMPose model")
        mm_form = QtWidgets.QFormLayout(self.mmpose_box)
        mm_form.addRow(self.mmpose_hint)
        labels = {"pose_config": "Pose config", "pose_checkpoint": "Pose checkpoint", "det_config": "Person config",
                  "det_checkpoint": "Person checkpoint"}
        for key, edit in self.mmpose_fields.items():
            filter_text = ("MMPose configs (*.py)" if "config" in key else "Weights (*.pth)") + ";;All files (*)"
            mm_form.addRow(labels[key], _path_row(edit, labels[key], filter_text))
        self.checkpoint = CheckpointRow(settings.checkpoint or "", "a Stage II checkpoint (.json), or empty",
                                        f"Empty, so the shipped lifter is used ({_short(default_checkpoint())}).")
        self.live_checkpoint = CheckpointRow(settings.live_checkpoint or "", "a Stage II checkpoint (.json), or empty",
                                             "Empty, so live mode uses the shipped causal model "
                                             f"({_short(default_live_checkpoint())}).")
        self.device = QtWidgets.QComboBox()
        self.device.addItems(("auto", "cpu", "cuda"))
        self.device.setCurrentText(settings.device)
        self.precision = QtWidgets.QComboBox()
        self.precision.addItems(PRECISIONS)
        self.precision.setCurrentText(settings.precision)
        self.precision.setToolTip("auto: bfloat16 on a GPU and on CPUs with native bfloat16 (about 1.5x faster, "
                                  "the same accuracy to 0.01 mm), else float32")
        self.flip = QtWidgets.QCheckBox("Flip test-time augmentation (slower, slightly more accurate)")
        self.flip.setChecked(settings.flip)
        self.smoothing = smoothing_combo(settings.smoothing)
        self.person = QtWidgets.QComboBox(editable=True)
        for rule, label in PERSON_CHOICES:
            self.person.addItem(label, rule)
        self.person.setInsertPolicy(QtWidgets.QComboBox.NoInsert)
        self.person.lineEdit().setPlaceholderText("or type the id shown on the video, e.g. #0")
        self.person.setToolTip("Whom to lift to 3D: a rule, or the id drawn on the video (#0, #1, ...; "
                               "type 0 or #0)")
        self._set_person(settings.person)
        self.errors: dict[str, QtWidgets.QLabel] = {key: _error_label() for key in ("detector", "person")}

        form = QtWidgets.QFormLayout(self)
        form.setSizeConstraint(QtWidgets.QLayout.SetMinimumSize)  # grows when the MMPose fields appear
        form.addRow("2D detector", self.detector)
        form.addRow("", self.errors["detector"])
        form.addRow(self.mmpose_box)
        form.addRow("Lifter checkpoint", self.checkpoint)
        form.addRow("Live checkpoint", self.live_checkpoint)
        form.addRow("Device", self.device)
        form.addRow("Precision", self.precision)
        form.addRow("", self.flip)
        form.addRow("Smoothing", self.smoothing)
        form.addRow("Target person", self.person)
        form.addRow("", self.errors["person"])
        self.buttons = _buttons(self)
        form.addRow(self.buttons)

        self.detector.currentIndexChanged.connect(lambda _: self.validate())
        self.person.currentTextChanged.connect(lambda _: self.validate())
        for row in (self.checkpoint, self.live_checkpoint):
            row.changed.connect(lambda _: self.validate())
        for edit in self.mmpose_fields.values():
            edit.textChanged.connect(lambda _: self.validate())
        self.validate()

    def _set_person(self, person: str | int) -> None:
        index = self.person.findData(person)
        if index >= 0:
            self.person.setCurrentIndex(index)
        else:
            self.person.setEditText(f"#{person}" if isinstance(person, int) else str(person))

    def person_value(self) -> str | int:
        """The chosen rule or id (raises ValueError for text that is neither)."""
        text = self.person.currentText().strip()
        for rule, label in PERSON_CHOICES:
            if text == label:
                return rule
        return parse_person(text)

    def problems(self) -> dict[str, str]:
        """{field: reason} for every field that cannot be used as it is ('checking' while a check runs)."""
        problems: dict[str, str] = {}
        if self.detector.currentData() == "mmpose":
            if not mmpose_installed():
                problems["detector"] = "MMPose is not installed: run `make mmpose` (about 15 minutes), or choose " \
                                       "MediaPipe"
            else:
                missing = [self.mmpose_fields[k].text().strip() for k in self.mmpose_fields]
                missing = [p for p in missing if p and ("/" in p or p.endswith((".py", ".pth")))
                           and not Path(p).expanduser().is_file()]
                if missing:
                    problems["detector"] = f"{missing[0]}: file not found"
        try:
            self.person_value()
        except ValueError:
            problems["person"] = "Type a rule from the list, or the id shown on the video: 0 or #0"
        for key, row in (("checkpoint", self.checkpoint), ("live_checkpoint", self.live_checkpoint)):
            if row.state in ("error", "checking"):
                problems[key] = row.error or "checking"
        return problems

    def validate(self) -> dict[str, str]:
        """Shows each field's problem under it; OK is disabled only while a checkpoint is being checked."""
        mmpose = self.detector.currentData() == "mmpose"
        if self.mmpose_box.isVisibleTo(self) != mmpose:
            self.mmpose_box.setVisible(mmpose)
            QtCore.QTimer.singleShot(0, self.adjustSize)
        if mmpose:
            installed = mmpose_installed()  # if not, the error under the detector says how to install it
            self.mmpose_hint.setText("A top-down COCO-17 body model: config + checkpoint, or a model-zoo name."
                                     if installed else "Not installed here: `make mmpose` installs it.")
        problems = self.problems()
        for key, label in self.errors.items():
            label.setText(problems.get(key, ""))
            label.setVisible(key in problems)
        checking = any(row.state == "checking" for row in (self.checkpoint, self.live_checkpoint))
        ok = self.buttons.button(QtWidgets.QDialogButtonBox.Ok)
        ok.setEnabled(not checking)
        ok.setToolTip("Waiting for the checkpoint check" if checking else "")
        return problems

    def accept(self) -> None:
        """Closes only when every field is usable; otherwise the dialog stays, with the problems shown."""
        for row in (self.checkpoint, self.live_checkpoint):
            row.check()
        problems = self.validate()
        if problems:
            first = next(iter(problems))
            widget = {"detector": self.detector, "person": self.person, "checkpoint": self.checkpoint.edit,
                      "live_checkpoint": self.live_checkpoint.edit}[first]
            widget.setFocus()
            return
        super().accept()

    def settings(self) -> PipelineSettings:
        """The edited settings (raises ValueError for a bad field; `accept` has checked them)."""
        data = self._base.to_dict()
        detector = self.detector.currentData()
        options = dict(self._base.detector_options) if detector == self._base.detector else {}
        if detector == "mmpose":
            for key, edit in self.mmpose_fields.items():
                if edit.text().strip():
                    options[key] = edit.text().strip()
                else:
                    options.pop(key, None)
        data.update(detector=detector, detector_options=options, checkpoint=self.checkpoint.text or None,
                    live_checkpoint=self.live_checkpoint.text or None, device=self.device.currentText(),
                    precision=self.precision.currentText(), flip=self.flip.isChecked(),
                    smoothing=self.smoothing.currentData(), person=self.person_value())
        return PipelineSettings.from_dict(data)


def _short(path: Path | None) -> str:
    if path is None:
        return "none shipped"
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


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
        self.record.setToolTip("Save the camera's frames; when live mode stops, the take (its 2D and 3D) stays on "
                               "screen over the recording, ready for Export")
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


EXPORT_OPTION_KEYS = ("exports", "world", "root_trajectory", "foot_lock", "constant_bones", "smoothing", "up",
                      "people_scale")
"""The settings fields the Export dialog edits (and the app remembers between exports)."""


class ExportDialog(QtWidgets.QDialog):
    """Output folder, formats (CSV, BVH, JSON, NPZ) and motion options (world frame, root trajectory, ...).
    OK needs a folder and at least one format."""

    def __init__(self, settings: PipelineSettings, folder: str, parent: QtWidgets.QWidget | None = None,
                 stem: str = "", people: list[int] | None = None, selected: int | None = None) -> None:
        """`people`: the ids of a multi-person result (then a Person choice: the `selected` one or everyone)."""
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.person = QtWidgets.QComboBox()
        for person_id in people or []:
            self.person.addItem(f"#{person_id}" + (" (selected)" if person_id == selected else ""), person_id)
        if people:
            self.person.addItem(f"Everyone ({len(people)} people, one file each)", "all")
            self.person.setCurrentIndex(max(self.person.findData(selected), 0))
        self.person.setToolTip("Whom to export: click a person in the video or the 3D view to select them")
        self.setMinimumWidth(720)
        self.folder = QtWidgets.QLineEdit(folder)
        self.formats = {fmt: QtWidgets.QCheckBox(fmt.upper()) for fmt in EXPORT_FORMATS}
        for fmt, box in self.formats.items():
            box.setChecked(fmt in settings.exports)
            box.setToolTip(FORMAT_TIPS.get(fmt, ""))
        self.world = QtWidgets.QCheckBox("World frame (floor at 0, up axis vertical)")
        self.world.setChecked(settings.world)
        self.root = QtWidgets.QCheckBox("Include the root trajectory (moves through the scene, not in place)")
        self.root.setChecked(settings.root_trajectory)
        self.foot_lock = QtWidgets.QCheckBox("Lock feet in contact with the floor (less foot sliding)")
        self.foot_lock.setChecked(settings.foot_lock)
        self.constant_bones = QtWidgets.QCheckBox("Constant bone lengths (a rigid skeleton for BVH rigs)")
        self.constant_bones.setChecked(settings.constant_bones)
        self.smoothing = smoothing_combo(settings.smoothing)
        self.up = QtWidgets.QComboBox()
        for axis in UP_AXES:
            self.up.addItem({"y": "Y up (Blender BVH import, Unity, Maya)", "z": "Z up (Blender scene, Unreal)"}
                            .get(axis, axis), axis)
        self.up.setCurrentIndex(max(self.up.findData(settings.up), 0))
        self.people_scale = QtWidgets.QComboBox()
        self.people_scale.addItem("Each an adult's height (the lifter's size)", "height_prior")
        self.people_scale.addItem("Everyone's feet on one floor (children, very tall or short people)", "floor")
        self.people_scale.setCurrentIndex(max(self.people_scale.findData(settings.people_scale), 0))
        self.people_scale.setToolTip("One camera cannot tell a small near person from a big far one: how each "
                                     "person's size (and so distance) is chosen")
        formats = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(formats)
        row.setContentsMargins(0, 0, 0, 0)
        for box in self.formats.values():
            row.addWidget(box)
        row.addStretch(1)
        self.files = QtWidgets.QLabel()
        self.files.setWordWrap(True)
        self.files.setStyleSheet("color: palette(mid);")
        self.problem = _error_label()
        self._stem = stem
        form = QtWidgets.QFormLayout(self)
        form.addRow("Folder", _path_row(self.folder, "Export folder", folder=True))
        form.addRow("Formats", formats)
        if people:
            form.addRow("Person", self.person)
        form.addRow("", self.files)
        for box in (self.world, self.root, self.foot_lock, self.constant_bones):
            form.addRow("", box)
        form.addRow("Smoothing", self.smoothing)
        form.addRow("Up axis", self.up)
        if people:
            form.addRow("People's sizes", self.people_scale)
        form.addRow(self.problem)
        self.buttons = _buttons(self)
        form.addRow(self.buttons)
        self._base = settings
        self.folder.textChanged.connect(lambda _: self.validate())
        for box in self.formats.values():
            box.toggled.connect(lambda _: self.validate())
        self.person.currentIndexChanged.connect(lambda _: self.validate())
        self.validate()

    def people(self) -> list[int] | None:
        """The ids to export (a multi-person result); None: everyone (or a one-person result)."""
        chosen = self.person.currentData()
        return None if chosen in (None, "all") else [int(chosen)]

    def chosen_formats(self) -> list[str]:
        return [f for f, box in self.formats.items() if box.isChecked()]

    def validate(self) -> str:
        """The reason OK cannot be pressed now ('' when it can); also lists the files that will be written."""
        formats = self.chosen_formats()
        folder = self.out_dir()
        stems = [self._stem]
        if self.person.count():
            chosen = self.people()
            stems = [f"{self._stem}.person{p}" for p in (chosen if chosen is not None else
                                                          [self.person.itemData(n) for n in range(self.person.count())
                                                           if self.person.itemData(n) != "all"])]
        names = ", ".join(f"{stem}.{fmt}" for stem in stems for fmt in formats) if self._stem else ""
        self.files.setText(f"Writes {names}" if names and folder else "")
        problem = ""
        if not formats:
            problem = "Choose at least one format."
        elif not folder:
            problem = "Choose a folder."
        elif Path(folder).expanduser().exists() and not Path(folder).expanduser().is_dir():
            problem = f"{folder} is a file, not a folder: choose another folder."
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.buttons.button(QtWidgets.QDialogButtonBox.Ok).setEnabled(not problem)
        return problem

    def options(self) -> dict:
        """The choices as `PipelineSettings` fields (`EXPORT_OPTION_KEYS`)."""
        return {"exports": self.chosen_formats(), "world": self.world.isChecked(),
                "root_trajectory": self.root.isChecked(), "foot_lock": self.foot_lock.isChecked(),
                "constant_bones": self.constant_bones.isChecked(), "smoothing": self.smoothing.currentData(),
                "up": self.up.currentData(), "people_scale": self.people_scale.currentData()}

    def settings(self) -> PipelineSettings:
        data = self._base.to_dict()
        data.update(self.options())
        return PipelineSettings.from_dict(data)

    def out_dir(self) -> str:
        return self.folder.text().strip()

