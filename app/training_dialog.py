"""Training dialog: runs `main.py train` in a subprocess (QProcess) and plots its log.jsonl live.

Data (H36M folder, VideoPose3D npz, BVH folder, the user's own 2D tracks for Stage I), stage, config,
`key=value` overrides and device become the command line; progress, loss and validation curves come from
`<out_dir>/**/log.jsonl` (schema in docs/training.md). Cancel kills the process; Resume passes --resume.
When the run finishes the dialog offers its newest checkpoint (`checkpoint_ready`).
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pyqtgraph as pg
from PyQt5 import QtCore, QtWidgets

from app.dialogs import _path_row

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_KINDS = (  # label, dataset key in the training config, whether the path is a folder
    ("Human3.6M folder", "h36m", True),
    ("VideoPose3D npz", "h36m", False),
    ("BVH folder", "bvh", True),
    ("My own 2D tracks (Stage I only)", "tracks", True),
)


def training_command(stage: str, config: str, data_kind: int, data_path: str, overrides: str, device: str,
                     out_dir: str, resume: bool) -> list[str]:
    """Arguments for `python main.py train ...` (without the interpreter)."""
    label, dataset, _ = DATA_KINDS[data_kind]
    args = [str(REPO_ROOT / "main.py"), "train", stage, "--config", config]
    items = [f"dataset={dataset}", f"device={device}", f"out_dir={out_dir}"]
    if data_path:
        items.append(f"pretrain_data={data_path}" if dataset == "tracks" else f"data_dir={data_path}")
    items += shlex.split(overrides)
    args += items
    if resume:
        args.append("--resume")
    return args


def read_new_records(path: Path, offset: int) -> tuple[list[dict], int]:
    """Complete JSON lines of `path` after byte `offset`; returns (records, new offset)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except OSError:
        return [], offset
    end = data.rfind(b"\n") + 1
    records = []
    for line in data[:end].splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records, offset + end


class TrainingDialog(QtWidgets.QDialog):
    """Start / cancel / resume a training run and watch its curves."""

    checkpoint_ready = QtCore.pyqtSignal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a lifter")
        self.resize(820, 640)
        self.data_kind = QtWidgets.QComboBox()
        for label, _, _ in DATA_KINDS:
            self.data_kind.addItem(label)
        self.data_path = QtWidgets.QLineEdit(str(REPO_ROOT.parent / "shared" / "data" / "h36m"))
        self.stage = QtWidgets.QComboBox()
        self.stage.addItem("Stage I: pre-training (masked pose modelling)", "pretrain")
        self.stage.addItem("Stage II: fine-tuning (2D -> 3D)", "finetune")
        self.config = QtWidgets.QComboBox(editable=True)
        self.config.addItems(sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "configs").glob("*.yaml")))
        if self.config.findText("configs/tiny.yaml") >= 0:
            self.config.setCurrentText("configs/tiny.yaml")
        self.overrides = QtWidgets.QLineEdit()
        self.overrides.setPlaceholderText("key=value ... e.g. epochs=2 batch_size=64")
        self.device = QtWidgets.QComboBox()
        self.device.addItems(("auto", "cpu", "cuda"))
        self.out_dir = QtWidgets.QLineEdit(str(REPO_ROOT / "runs" / "gui"))
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 100)
        self.status = QtWidgets.QLabel("Idle")
        self.status.setWordWrap(True)
        self.loss_plot = pg.PlotWidget(title="loss")
        self.loss_plot.addLegend()
        self.loss_plot.setLabel("bottom", "step")
        self.train_curve = self.loss_plot.plot([], [], pen=pg.mkPen((255, 160, 40), width=2), name="train")
        self.val_plot = pg.PlotWidget(title="validation MPJPE (mm)")
        self.val_plot.setLabel("bottom", "epoch")
        self.val_curve = self.val_plot.plot([], [], pen=pg.mkPen((60, 170, 255), width=2), symbol="o",
                                            symbolSize=5, name="val")
        self.output = QtWidgets.QPlainTextEdit(readOnly=True)
        self.output.setMaximumBlockCount(2000)
        self.start_button = QtWidgets.QPushButton("Start")
        self.resume_button = QtWidgets.QPushButton("Resume")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.close_button = QtWidgets.QPushButton("Close")

        form = QtWidgets.QFormLayout()
        form.addRow("Data", self.data_kind)
        form.addRow("Data path", _path_row(self.data_path, "Training data", folder=False))
        form.addRow("Stage", self.stage)
        form.addRow("Config", self.config)
        form.addRow("Overrides", self.overrides)
        form.addRow("Device", self.device)
        form.addRow("Run folder", _path_row(self.out_dir, "Run folder", folder=True))
        plots = QtWidgets.QHBoxLayout()
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.val_plot)
        buttons = QtWidgets.QHBoxLayout()
        for button in (self.start_button, self.resume_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(plots, 1)
        layout.addWidget(self.output)
        layout.addLayout(buttons)

        self.process = QtCore.QProcess(self)
        self.process.setProcessChannelMode(QtCore.QProcess.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read_output)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._process_error)
        self.start_button.clicked.connect(lambda: self.start(resume=False))
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)
        self.poll = QtCore.QTimer(self)
        self.poll.setInterval(500)
        self.poll.timeout.connect(self.poll_log)
        self._offsets: dict[Path, int] = {}
        self._train: tuple[list[float], list[float]] = ([], [])
        self._val: tuple[list[float], list[float]] = ([], [])
        self._cancelled = False
        self.finished_checkpoint: str | None = None

    # ------------------------------------------------------------------------------------- process

    def command(self, resume: bool) -> list[str]:
        return training_command(self.stage.currentData(), self.config.currentText(), self.data_kind.currentIndex(),
                                self.data_path.text().strip(), self.overrides.text(), self.device.currentText(),
                                self.out_dir.text().strip(), resume)

    @property
    def running(self) -> bool:
        return self.process.state() != QtCore.QProcess.NotRunning

    def start(self, resume: bool = False, program: str | None = None, arguments: list[str] | None = None) -> None:
        """Starts training (or `program arguments`, for tests) unless a run is already going."""
        if self.running:
            return
        try:
            arguments = arguments if arguments is not None else self.command(resume)
        except ValueError as error:
            self.status.setText(f"Bad overrides: {error}")
            return
        self._offsets.clear()
        if not resume:
            self._train, self._val = ([], []), ([], [])
            self.train_curve.setData([], [])
            self.val_curve.setData([], [])
        self._cancelled = False
        self.finished_checkpoint = None
        self._done_checkpoint = None
        self._started_at = QtCore.QDateTime.currentSecsSinceEpoch()
        self.output.appendPlainText("$ " + " ".join(shlex.quote(a) for a in [program or sys.executable, *arguments]))
        self.process.setWorkingDirectory(str(REPO_ROOT))
        self.process.start(program or sys.executable, arguments)
        self.status.setText("Running...")
        self.progress.setValue(0)
        self._set_running(True)
        self.poll.start()

    def cancel(self) -> None:
        if self.running:
            self._cancelled = True
            self.process.terminate()
            if not self.process.waitForFinished(3000):
                self.process.kill()

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.resume_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _read_output(self) -> None:
        text = bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace")
        for line in text.replace("\r", "\n").splitlines():
            if line.strip():
                self.output.appendPlainText(line)

    def _process_error(self, error: QtCore.QProcess.ProcessError) -> None:
        if error == QtCore.QProcess.FailedToStart:
            self.status.setText("Could not start the training process.")
            self._set_running(False)
            self.poll.stop()

    def _finished(self, code: int, _status: QtCore.QProcess.ExitStatus) -> None:
        self._read_output()
        self.poll_log()
        self.poll.stop()
        self._set_running(False)
        if self._cancelled:
            self.status.setText("Cancelled. Press Resume to continue from the last checkpoint.")
            return
        if code != 0:
            last = self.output.toPlainText().strip().splitlines()[-1:] or ["(no output)"]
            self.status.setText(f"Training failed (exit code {code}): {last[0]}")
            return
        self.progress.setValue(100)
        checkpoint = self.newest_checkpoint()
        self.finished_checkpoint = checkpoint
        self.status.setText(f"Done. New checkpoint: {checkpoint}" if checkpoint else "Done (no checkpoint found).")
        if checkpoint:
            self._offer(checkpoint)

    def _offer(self, checkpoint: str) -> None:
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Question, "Training finished",
                                    f"Use the new checkpoint for processing?\n{checkpoint}",
                                    QtWidgets.QMessageBox.Yes | QtWidgets.QMessageBox.No, self)
        box.finished.connect(lambda answer: answer == QtWidgets.QMessageBox.Yes
                             and self.checkpoint_ready.emit(checkpoint))
        box.open()
        self.offer_box = box

    def newest_checkpoint(self) -> str | None:
        """The run's checkpoint: the `done` record's, else the newest best*.json (else any *.json) with weights."""
        done = getattr(self, "_done_checkpoint", None)
        if done:
            path = Path(done) if Path(done).is_absolute() else REPO_ROOT / done
            if path.is_file():
                return str(path)
        folder = Path(self.out_dir.text().strip())
        if not folder.is_dir():
            return None
        found = sorted((p for p in folder.rglob("*.json") if p.with_suffix(".safetensors").is_file()),
                       key=lambda p: p.stat().st_mtime)
        best = [p for p in found if p.stem.startswith("best")]
        return str((best or found)[-1]) if found else None

    # ------------------------------------------------------------------------------------------ log

    def poll_log(self) -> None:
        """Reads new lines of every log.jsonl under the run folder and updates the curves and progress."""
        folder = Path(self.out_dir.text().strip())
        if not folder.is_dir():
            return
        for path in folder.rglob("log.jsonl"):
            records, self._offsets[path] = read_new_records(path, self._offsets.get(path, 0))
            for record in records:
                self.add_record(record)

    def add_record(self, record: dict) -> None:
        event = record.get("event")
        step = record.get("step")
        if event == "train" and record.get("loss") is not None and step is not None:
            self._train[0].append(float(step))
            self._train[1].append(float(record["loss"]))
            self.train_curve.setData(*self._train)
        elif event == "val":
            key = next((k for k in ("mpjpe_mm", "loss") if k in record), None)
            value = record.get(key) if key else None
            if value is not None:
                self.val_plot.setTitle("validation MPJPE (mm)" if key == "mpjpe_mm" else "validation loss")
                self._val[0].append(float(record.get("epoch", len(self._val[0]) + 1)))
                self._val[1].append(float(value))
                self.val_curve.setData(*self._val)
        if record.get("epochs"):
            self._total_epochs = int(record["epochs"])
        total = getattr(self, "_total_epochs", None)
        epoch = record.get("epoch")
        if total and epoch:
            done = float(epoch) if event in ("epoch", "done") else float(epoch) - 1.0  # epochs completed
            self.progress.setValue(max(self.progress.value(), int(100 * min(done / total, 1.0))))
        if event == "done":
            self.progress.setValue(100)
            self._done_checkpoint = record.get("checkpoint")
        if event in ("train", "val", "epoch"):
            loss = record.get("loss")
            self.status.setText(f"stage {record.get('stage')} epoch {record.get('epoch')} step {step}"
                                + (f" loss {loss:.4g}" if isinstance(loss, float) else ""))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if self.running:
            self.cancel()
        super().closeEvent(event)
