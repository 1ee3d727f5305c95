"""Training dialog: runs `main.py train` in a subprocess (QProcess) and plots its log.jsonl live.

Data (H36M folder, VideoPose3D npz, BVH folder, the user's own 2D tracks for Stage I), stage, config,
`key=value` overrides and device become the command line; progress, loss and validation curves come from
`<run folder>/<pretrain|finetune>/log.jsonl` (schema in docs/training.md). Each stage has its own plots (their
units differ) and each run its own curve. Starting in a folder that already holds a run of that stage offers,
in the dialog, to resume it or to start in a new folder. Cancel kills the process; Resume passes --resume.
A finished Stage II run's checkpoint is checked (in a worker) and then offered for processing
(`checkpoint_ready`); a Stage I run leads on to Stage II.
"""

from __future__ import annotations

import functools
import json
import shlex
import sys
from pathlib import Path

import pyqtgraph as pg
from PyQt5 import QtCore, QtWidgets

from app.checks import describe_checkpoint
from app.dialogs import _path_row
from app.workers import CallWorker

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_KINDS = (  # label, dataset key in the training config, whether the path is a folder
    ("Human3.6M folder", "h36m", True),
    ("VideoPose3D npz", "h36m", False),
    ("BVH folder", "bvh", True),
    ("My own 2D tracks (Stage I only)", "tracks", True),
)
STAGE_FOLDERS = {1: "pretrain", 2: "finetune"}
STAGE_NUMBERS = {name: number for number, name in STAGE_FOLDERS.items()}
PLOT_TITLES = {  # stage -> (training loss plot, validation plot): (title, y axis)
    1: (("Stage I training loss: 2D reconstruction", "loss (normalised 2D units)"),
        ("Stage I validation loss: 2D reconstruction", "loss (normalised 2D units)")),
    2: (("Stage II training loss: 3D error", "loss (metres)"),
        ("Stage II validation MPJPE", "MPJPE (mm)")),
}
RUN_COLOURS = ((255, 160, 40), (60, 170, 255), (120, 220, 120), (230, 90, 200), (240, 230, 80), (160, 160, 255))


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


def used_run(folder: Path) -> int | None:
    """Epochs done by the run in `folder` (a stage folder with `latest.json`), None when there is no run."""
    pointer = folder / "latest.json"
    if not pointer.is_file():
        return None
    try:
        return int(json.loads(pointer.read_text()).get("epoch", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0


def fresh_folder(folder: Path) -> Path:
    """`folder` with the first free suffix _2, _3, ... (a run folder nobody uses yet)."""
    n = 2
    while (candidate := folder.with_name(f"{folder.name}_{n}")).exists():
        n += 1
    return candidate


class StagePlots(QtWidgets.QWidget):
    """Training loss (by step) and validation (by epoch) of one stage; one curve per run."""

    def __init__(self, stage: int, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        (loss_title, loss_axis), (val_title, val_axis) = PLOT_TITLES[stage]
        self.loss_plot = pg.PlotWidget(title=loss_title)
        self.loss_plot.setLabel("left", loss_axis)
        self.loss_plot.setLabel("bottom", "step")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.val_plot = pg.PlotWidget(title=val_title)
        self.val_plot.setLabel("left", val_axis)
        self.val_plot.setLabel("bottom", "epoch")
        self.val_plot.addLegend(offset=(-10, 10))
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.val_plot)
        self.runs: list[dict] = []  # {"name", "train": (x, y), "val": (x, y), curves}

    def new_run(self, resumed: bool) -> dict:
        n = len(self.runs) + 1
        name = f"run {n}" + (" (resumed)" if resumed else "")
        pen = pg.mkPen(RUN_COLOURS[(n - 1) % len(RUN_COLOURS)], width=2)
        run = {"name": name, "train": ([], []), "val": ([], []),
               "train_curve": self.loss_plot.plot([], [], pen=pen, name=name),
               "val_curve": self.val_plot.plot([], [], pen=pen, symbol="o", symbolSize=5,
                                               symbolBrush=RUN_COLOURS[(n - 1) % len(RUN_COLOURS)], name=name)}
        self.runs.append(run)
        return run

    def current(self) -> dict:
        return self.runs[-1] if self.runs else self.new_run(False)

    def add(self, kind: str, x: float, y: float) -> None:
        run = self.current()
        xs, ys = run[kind]
        xs.append(x)
        ys.append(y)
        run[f"{kind}_curve"].setData(xs, ys)


class TrainingDialog(QtWidgets.QDialog):
    """Start / cancel / resume a training run and watch its curves."""

    checkpoint_ready = QtCore.pyqtSignal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a lifter")
        self.resize(980, 720)
        self.data_kind = QtWidgets.QComboBox()
        for label, _, _ in DATA_KINDS:
            self.data_kind.addItem(label)
        self.data_path = QtWidgets.QLineEdit(str(REPO_ROOT.parent / "shared" / "data" / "h36m"))
        self.stage = QtWidgets.QComboBox()
        self.stage.addItem("Stage I: pre-training (masked pose modelling)", "pretrain")
        self.stage.addItem("Stage II: fine-tuning (2D -> 3D, makes the lifter)", "finetune")
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
        self.progress.setFormat("%p%")
        self.progress.setValue(0)
        self.status = QtWidgets.QLabel("Idle")
        self.status.setWordWrap(True)
        self.used_banner = QtWidgets.QFrame()
        self.used_banner.setFrameShape(QtWidgets.QFrame.StyledPanel)
        self.used_banner.setStyleSheet("QFrame { background: rgba(255, 200, 0, 40); }")
        self.used_text = QtWidgets.QLabel()
        self.used_text.setWordWrap(True)
        self.used_resume = QtWidgets.QPushButton("Resume it")
        self.used_new = QtWidgets.QPushButton("Start in a new folder")
        self.used_cancel = QtWidgets.QPushButton("Cancel")
        banner = QtWidgets.QHBoxLayout(self.used_banner)
        banner.addWidget(self.used_text, 1)
        for button in (self.used_resume, self.used_new, self.used_cancel):
            banner.addWidget(button)
        self.used_banner.setVisible(False)
        self.plots = {stage: StagePlots(stage) for stage in (1, 2)}
        self.plot_tabs = QtWidgets.QTabWidget()
        self.plot_tabs.addTab(self.plots[1], "Stage I curves")
        self.plot_tabs.addTab(self.plots[2], "Stage II curves")
        self.output = QtWidgets.QPlainTextEdit(readOnly=True)
        self.output.setMaximumBlockCount(2000)
        self.output.setMaximumHeight(150)
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
        buttons = QtWidgets.QHBoxLayout()
        for button in (self.start_button, self.resume_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.used_banner)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.plot_tabs, 1)
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
        self.used_resume.clicked.connect(lambda: self._answer_used("resume"))
        self.used_new.clicked.connect(lambda: self._answer_used("new"))
        self.used_cancel.clicked.connect(lambda: self._answer_used("cancel"))
        for edit in (self.out_dir, self.overrides):
            edit.textEdited.connect(lambda _: self.used_banner.setVisible(False))
        self.stage.currentIndexChanged.connect(self._stage_changed)
        # Slots are bound methods, never lambdas holding `self`: Qt drops a bound method's connection when the
        # dialog is destroyed, while a lambda could still run on a deleted dialog (a crash, seen in the tests).
        self._kill_timer = QtCore.QTimer(self, singleShot=True, interval=5000)  # dies with the dialog
        self._kill_timer.timeout.connect(self._kill_if_running)
        self.poll = QtCore.QTimer(self)
        self.poll.setInterval(500)
        self.poll.timeout.connect(self.poll_log)
        self._offsets: dict[Path, int] = {}
        self._log: Path | None = None  # the running stage's log.jsonl
        self._current = False  # records read now belong to the running process
        self._cancelled = False
        self._total_epochs: int | None = None
        self._done_checkpoint: str | None = None
        self._check_worker: CallWorker | None = None
        self.finished_checkpoint: str | None = None
        self._checking = ""  # the checkpoint the running check is about

    # ------------------------------------------------------------------------------------- process

    def command(self, resume: bool) -> list[str]:
        return training_command(self.stage.currentData(), self.config.currentText(), self.data_kind.currentIndex(),
                                self.data_path.text().strip(), self.overrides.text(), self.device.currentText(),
                                self.out_dir.text().strip(), resume)

    @property
    def running(self) -> bool:
        return self.process.state() != QtCore.QProcess.NotRunning

    @property
    def stage_number(self) -> int:
        return STAGE_NUMBERS[self.stage.currentData()]

    def run_folder(self) -> Path:
        """The run folder; a relative one is relative to the project folder, as for the training process."""
        folder = Path(self.out_dir.text().strip()).expanduser()
        return folder if folder.is_absolute() else REPO_ROOT / folder

    def stage_dir(self) -> Path:
        return self.run_folder() / self.stage.currentData()

    def _stage_changed(self) -> None:
        self.used_banner.setVisible(False)
        self.plot_tabs.setCurrentIndex(self.stage_number - 1)

    def start(self, resume: bool = False, program: str | None = None, arguments: list[str] | None = None) -> None:
        """Starts training (or `program arguments`, for tests) unless a run is already going. A new run in a
        folder that already holds one of this stage asks first, in the dialog (`used_banner`)."""
        if self.running:
            return
        epochs = used_run(self.stage_dir())
        if not resume and epochs is not None and arguments is None:
            name = "Stage I" if self.stage_number == 1 else "Stage II"
            self._new_folder = fresh_folder(self.run_folder())
            self.used_text.setText(f"{self.stage_dir()} already holds a {name} run ({epochs} epochs done). "
                                   f"Resume it, or start afresh in {self._new_folder}?")
            self.used_new.setText(f"Start in {self._new_folder.name}")
            self.used_banner.setVisible(True)
            self.status.setText("This run folder is in use: choose above.")
            return
        self.used_banner.setVisible(False)
        try:
            arguments = arguments if arguments is not None else self.command(resume)
        except ValueError as error:
            self.status.setText(f"Bad overrides: {error}")
            return
        self._cancelled = False
        self.finished_checkpoint = None
        self._done_checkpoint = None
        self._total_epochs = None
        self._log = self.stage_dir() / "log.jsonl"
        self._current = False
        self.poll_log()  # earlier runs in this log: curves only
        self._current = True
        self.plot_tabs.setCurrentIndex(self.stage_number - 1)
        self.output.appendPlainText("$ " + " ".join(shlex.quote(a) for a in [program or sys.executable, *arguments]))
        self.process.setWorkingDirectory(str(REPO_ROOT))
        self.process.start(program or sys.executable, arguments)
        self.status.setText("Running...")
        self.progress.setValue(0)
        self._set_running(True)
        self.poll.start()

    def _answer_used(self, answer: str) -> None:
        self.used_banner.setVisible(False)
        if answer == "resume":
            self.start(resume=True)
        elif answer == "new":
            old = self.run_folder()
            pretrained = old / "pretrain" / "best.json"
            if self.stage_number == 2 and pretrained.is_file() and "pretrained=" not in self.overrides.text():
                # Stage II starts from the Stage I encoder of the old folder (the new one has none)
                self.overrides.setText(f"{self.overrides.text().strip()} pretrained={pretrained}".strip())
            self.out_dir.setText(str(self._new_folder))
            self.start(resume=False)
        else:
            self.status.setText("Idle")

    def cancel(self) -> None:
        """Asks the training process to stop (SIGTERM: it stops at the next batch); kills it if it has not
        stopped 5 s later. Never waits on the GUI thread."""
        if self.running:
            self._cancelled = True
            self.status.setText("Stopping...")
            self.process.terminate()
            self._kill_timer.start()

    def _kill_if_running(self) -> None:
        if self.running:
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
        self._kill_timer.stop()
        self._read_output()
        self.poll_log()
        self.poll.stop()
        self._set_running(False)
        if self._cancelled:
            self.status.setText("Cancelled. Press Resume to continue from the last complete epoch.")
            return
        if code != 0:
            last = self.output.toPlainText().strip().splitlines()[-1:] or ["(no output)"]
            self.status.setText(f"Training failed (exit code {code}): {last[0]}")
            return
        self.progress.setValue(100)
        if self.stage_number == 1:
            self.status.setText(f"Stage I finished: the pre-trained encoder is in {self.stage_dir()}. Stage I "
                                "cannot lift by itself; Stage II (selected now) fine-tunes it into a lifter: press "
                                "Start.")
            self.stage.blockSignals(True)  # the Stage I curves stay in view
            self.stage.setCurrentIndex(self.stage.findData("finetune"))
            self.stage.blockSignals(False)
            return
        checkpoint = self.newest_checkpoint()
        if not checkpoint:
            self.status.setText("Done, but no checkpoint was found in the run folder.")
            return
        self.status.setText(f"Done. Checking the new checkpoint {checkpoint}...")
        worker = CallWorker(functools.partial(describe_checkpoint, checkpoint), self)
        worker.done.connect(self._checked)
        worker.failed.connect(self._check_failed)
        self._checking = checkpoint
        self._check_worker = worker
        worker.start()

    def _checked(self, info: object) -> None:
        checkpoint, info = self._checking, str(info)
        self.finished_checkpoint = checkpoint
        self.status.setText(f"Done. New lifter: {checkpoint} ({info})")
        self._offer(checkpoint, info)

    def _check_failed(self, message: str) -> None:
        self.status.setText(f"Done, but the new checkpoint cannot be used: {message}")

    def _offer(self, checkpoint: str, info: str) -> None:
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Question, "Training finished",
                                    f"Use the new lifter for processing videos?\n{checkpoint}\n{info}",
                                    QtWidgets.QMessageBox.Yes | QtWidgets.QMessageBox.No, self)
        box.finished.connect(self._offer_answered)
        box.open()
        self.offer_box = box

    def _offer_answered(self, answer: int) -> None:
        if answer == QtWidgets.QMessageBox.Yes and self.finished_checkpoint:
            self.checkpoint_ready.emit(self.finished_checkpoint)

    def newest_checkpoint(self) -> str | None:
        """The Stage II run's checkpoint: its `done` record's, else `<run folder>/finetune/best.json`."""
        if self._done_checkpoint:
            path = Path(self._done_checkpoint)
            path = path if path.is_absolute() else REPO_ROOT / path
            if path.is_file():
                return str(path)
        best = self.run_folder() / STAGE_FOLDERS[2] / "best.json"
        return str(best) if best.is_file() else None

    # ------------------------------------------------------------------------------------------ log

    def poll_log(self) -> None:
        """Reads the new lines of the running stage's log.jsonl and updates its curves and the progress."""
        if self._log is None:
            return
        records, self._offsets[self._log] = read_new_records(self._log, self._offsets.get(self._log, 0))
        for record in records:
            self.add_record(record, current=self._current)

    def add_record(self, record: dict, current: bool = True) -> None:
        """One log record: curves of its stage (a `start` begins a new run); with `current`, also the progress
        and status of the running process."""
        event = record.get("event")
        step = record.get("step")
        stage = record.get("stage") if record.get("stage") in self.plots else self.stage_number
        plots = self.plots[stage]
        if event == "start":
            plots.new_run(resumed=bool(record.get("epoch")))
        elif event == "train" and record.get("loss") is not None and step is not None:
            plots.add("train", float(step), float(record["loss"]))
        elif event == "val":
            value = record.get("mpjpe_mm" if stage == 2 else "loss")
            if value is not None:
                plots.add("val", float(record.get("epoch", len(plots.current()["val"][0]) + 1)), float(value))
        if not current:
            return
        if record.get("epochs"):
            self._total_epochs = int(record["epochs"])
        epoch = record.get("epoch")
        if self._total_epochs and epoch:
            done = float(epoch) if event in ("epoch", "done") else float(epoch) - 1.0  # epochs completed
            self.progress.setValue(max(self.progress.value(), int(100 * min(done / self._total_epochs, 1.0))))
        if event == "done":
            self.progress.setValue(100)
            self._done_checkpoint = record.get("checkpoint")
        if event in ("train", "val", "epoch"):
            loss = record.get("loss")
            name = "Stage I" if stage == 1 else "Stage II"
            of = f" of {self._total_epochs}" if self._total_epochs else ""
            self.status.setText(f"{name}, epoch {record.get('epoch')}{of}, step {step}"
                                + (f", loss {loss:.4g}" if isinstance(loss, float) else ""))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if self.running:
            self.cancel()
        super().closeEvent(event)
