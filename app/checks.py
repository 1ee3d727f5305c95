"""Checks that run when the user chooses something, so a bad choice is refused where it is made (with the
reason) instead of failing at the next video: lifter checkpoints and the MMPose backend.

`describe_checkpoint` loads the model, so call it off the GUI thread (`CheckpointRow` does, in a worker).
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from PyQt5 import QtCore, QtWidgets

from app.workers import CallWorker
from pstmo.errors import InputError

CHECKPOINT_FILTER = "P-STMO checkpoints (*.json *.safetensors);;All files (*)"
OK_STYLE = "color: #2e7d32;"
ERROR_STYLE = "color: #c62828;"


def describe_checkpoint(path: str | Path) -> str:
    """One line describing a checkpoint that can lift ("Stage II lifter: 27-frame window, centred, ..."). Raises
    InputError naming the file and the problem: missing, corrupt, not ours, or a Stage I (pre-training) one."""
    path = Path(str(path).strip()).expanduser()
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: a folder, not a checkpoint file")
    from pstmo import Lifter

    lifter = Lifter.from_checkpoint(path, device="cpu")  # raises InputError for Stage I, corrupt, ...
    config = lifter.config
    kind = "causal: answers at once (live)" if config.causal else "centred: most accurate offline"
    trained = (lifter.metadata.get("training") or {}) if isinstance(lifter.metadata, dict) else {}
    data = f", trained on {trained['dataset']}" if isinstance(trained, dict) and trained.get("dataset") else ""
    return f"Stage II lifter: {config.receptive_field}-frame window, {kind}, {config.layers} layers{data}"


def mmpose_installed() -> bool:
    """Whether the MMPose packages can be imported (cheap: looks them up without importing)."""
    return all(importlib.util.find_spec(name) is not None for name in ("mmpose", "mmengine", "mmcv"))


class CheckpointRow(QtWidgets.QWidget):
    """A checkpoint path field with Browse... and a line under it saying whether the file can lift.

    The file is checked in a worker thread whenever the text settles (after typing stops, or Browse). `state`
    is "empty" (the field is blank: `empty_text` applies), "checking", "ok" or "error"; `changed` fires when
    it changes. `error` holds the reason of an "error".
    """

    changed = QtCore.pyqtSignal(str)

    def __init__(self, text: str, placeholder: str, empty_text: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QtWidgets.QLineEdit(text)
        self.edit.setPlaceholderText(placeholder)
        self.browse = QtWidgets.QPushButton("Browse...")
        self.note = QtWidgets.QLabel()
        self.note.setWordWrap(True)
        self.empty_text = empty_text
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.browse)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.note)
        self.state = "empty"
        self.error = ""
        self._worker: CallWorker | None = None
        self._checked_text: str | None = None
        self._timer = QtCore.QTimer(self, singleShot=True, interval=600)
        self._timer.timeout.connect(self.check)
        self.edit.textEdited.connect(lambda _: self._timer.start())
        self.edit.editingFinished.connect(self.check)
        self.browse.clicked.connect(self._browse)
        self.check()

    @property
    def text(self) -> str:
        return self.edit.text().strip()

    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Choose a Stage II checkpoint", self.text,
                                                        CHECKPOINT_FILTER)
        if path:
            self.edit.setText(path)
            self.check()

    def check(self) -> None:
        """Checks the current text (again only if it changed since the last check)."""
        self._timer.stop()
        text = self.text
        if text == self._checked_text:
            return
        self._checked_text = text
        self._worker = None  # an older check still running is ignored when it answers
        if not text:
            self._set("empty", self.empty_text)
            return
        self._set("checking", "Checking the checkpoint...")
        worker = CallWorker(functools.partial(describe_checkpoint, text), self)
        # bound methods, not lambdas holding `self`: Qt drops these connections when this widget is destroyed
        worker.done.connect(self._check_ok)
        worker.failed.connect(self._check_error)
        self._worker = worker
        worker.start()

    def _check_ok(self, info: object) -> None:
        self._checked(self.sender(), "ok", str(info))

    def _check_error(self, message: str) -> None:
        self._checked(self.sender(), "error", message)

    def _checked(self, worker: QtCore.QObject | None, state: str, message: str) -> None:
        if worker is None or worker is not self._worker:
            return  # an older check; a newer one is running
        self._worker = None
        self._set(state, message)

    def _set(self, state: str, message: str) -> None:
        self.state = state
        self.error = message if state == "error" else ""
        prefix = {"ok": "\u2714 ", "error": "\u2716 "}.get(state, "")
        self.note.setText(prefix + message)
        self.note.setStyleSheet({"ok": OK_STYLE, "error": ERROR_STYLE}.get(state, "color: palette(mid);"))
        self.changed.emit(state)

    def wait(self, timeout_ms: int = 30_000) -> None:
        """Blocks until a running check is done (for closing; tests use qtbot.waitUntil instead)."""
        if self._worker is not None:
            self._worker.wait(timeout_ms)
