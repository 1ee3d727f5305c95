"""`MainWindow`: video with 2D overlay | 3D skeleton, timeline, status; menus wire user actions to the pipeline.

All processing runs in worker threads (`app.workers`); this module only connects widgets, dialogs and
workers, and draws what they report.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PyQt5 import QtCore, QtGui, QtWidgets

from app.dialogs import ExportDialog, SettingsDialog, WebcamDialog
from app.skeleton_view import SkeletonView
from app.store import AppStore
from app.timeline import Timeline
from app.video_view import VideoView
from app.workers import CallWorker, LiveWorker, ProcessWorker
from pipeline.pipeline import Pipeline, PipelineResult
from pipeline.playback import FrameReader
from pipeline.settings import PipelineSettings
from pstmo.errors import InputError

VIDEO_FILTER = "Videos and images (*.mp4 *.mov *.avi *.mkv *.webm *.m4v *.png *.jpg *.jpeg);;All files (*)"
ICON_PATH = Path(__file__).resolve().parents[1] / "assets" / "icons" / "pstmo.png"


class MainWindow(QtWidgets.QMainWindow):
    """The desktop app's window. `processing_finished(ok)` fires when a video is processed (or fails)."""

    processing_finished = QtCore.pyqtSignal(bool)
    live_finished = QtCore.pyqtSignal(int)

    def __init__(self, store: AppStore | None = None, settings: PipelineSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("P-STMO Studio")
        if ICON_PATH.is_file():
            self.setWindowIcon(QtGui.QIcon(str(ICON_PATH)))
        self.resize(1600, 900)
        self.setAcceptDrops(True)
        self.store = store or AppStore()
        self.pipeline = Pipeline(settings or self.store.pipeline_settings())
        self.result: PipelineResult | None = None
        self.reader: FrameReader | None = None
        self.video_path: str | None = None
        self.worker: ProcessWorker | None = None
        self.live_worker: LiveWorker | None = None
        self.export_worker: CallWorker | None = None
        self.last_error: str | None = None
        self.last_export: dict[str, str] = {}
        self._build_widgets()
        self._build_menus()
        self._update_actions()

    # --------------------------------------------------------------------------------------- layout

    def _build_widgets(self) -> None:
        self.video_view = VideoView()
        self.skeleton_view = SkeletonView()
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Horizontal)
        self.splitter.addWidget(self.video_view)
        self.splitter.addWidget(self.skeleton_view)
        self.splitter.setSizes([900, 700])
        self.timeline = Timeline()
        self.timeline.frameChanged.connect(self.show_frame)
        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.timeline)
        self.setCentralWidget(central)
        status = self.statusBar()
        self.status_text = QtWidgets.QLabel("Ready")
        self.progress_bar = QtWidgets.QProgressBar(maximumWidth=260)
        self.progress_bar.setVisible(False)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.fps_label = QtWidgets.QLabel("fps -")
        self.latency_label = QtWidgets.QLabel("latency -")
        status.addWidget(self.status_text, 1)
        status.addPermanentWidget(self.progress_bar)
        status.addPermanentWidget(self.cancel_button)
        status.addPermanentWidget(self.fps_label)
        status.addPermanentWidget(self.latency_label)

    def _action(self, menu: QtWidgets.QMenu, text: str, slot, shortcut: str | None = None) -> QtWidgets.QAction:
        action = menu.addAction(text)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(QtGui.QKeySequence(shortcut))
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action(file_menu, "&Open video...", self.open_video_dialog, "Ctrl+O")
        self.webcam_action = self._action(file_menu, "Open &webcam...", self.open_webcam_dialog, "Ctrl+W")
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._fill_recent_menu()
        file_menu.addSeparator()
        self.export_action = self._action(file_menu, "&Export...", self.export_dialog, "Ctrl+E")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, "Ctrl+Q")
        edit_menu = bar.addMenu("&Edit")
        self.settings_action = self._action(edit_menu, "&Settings...", self.settings_dialog, "Ctrl+,")
        view_menu = bar.addMenu("&View")
        self.follow_action = self._action(view_menu, "&Follow root", self._toggle_follow)
        self.follow_action.setCheckable(True)
        self.follow_action.setChecked(True)
        self.trail_action = self._action(view_menu, "Root &trail", self._toggle_trail)
        self.trail_action.setCheckable(True)
        self.trail_action.setChecked(True)
        play_menu = bar.addMenu("&Playback")
        self.play_action = self._action(play_menu, "&Play / pause", self.timeline.toggle_play, "Space")
        self._action(play_menu, "&Next frame", lambda: self.timeline.step(1), "Right")
        self._action(play_menu, "P&revious frame", lambda: self.timeline.step(-1), "Left")
        self.stop_live_action = self._action(play_menu, "&Stop live / processing", self.cancel, "Esc")
        training_menu = bar.addMenu("&Training")
        self.train_action = self._action(training_menu, "&Train a lifter...", self.training_dialog)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About", self.about)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.store.recent_files()
        for path in files:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_video(p))
        if files:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear", self._clear_recent)
        self.recent_menu.setEnabled(bool(files))

    def _clear_recent(self) -> None:
        self.store.clear_recent()
        self._fill_recent_menu()

    def _update_actions(self) -> None:
        busy = self.busy
        self.export_action.setEnabled(self.result is not None and not busy)
        self.settings_action.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.progress_bar.setVisible(self.worker is not None)

    @property
    def busy(self) -> bool:
        return self.worker is not None or self.live_worker is not None

    # ---------------------------------------------------------------------------------------- errors

    def show_error(self, message: str) -> None:
        """A readable message in the status bar and a non-blocking message box."""
        self.last_error = message
        self.status_text.setText(f"Error: {message}")
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Warning, "P-STMO Studio", message,
                                    QtWidgets.QMessageBox.Ok, self)
        box.open()
        self.error_box = box

    # ------------------------------------------------------------------------------------ open video

    def open_video_dialog(self) -> None:
        folder = str(Path(self.video_path).parent) if self.video_path else str(Path.home())
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open video", folder, VIDEO_FILTER)
        if path:
            self.open_video(path)

    def open_video(self, path: str) -> bool:
        """Shows the first frame and starts processing in the background; False (and a message) on bad input."""
        self.stop_all()
        self.result = None
        self.skeleton_view.set_motion(None)
        if self.reader:
            self.reader.close()
            self.reader = None
        try:
            from pipeline.sources import open_source

            open_source(str(path)).close()  # the pipeline's own checks and messages for bad input
            reader = FrameReader(path)
            first = reader.read(0)
            if first is None:
                raise InputError(f"{path}: no frames could be decoded (empty, truncated or not a video)")
        except InputError as error:
            self.video_view.set_frame(None)
            self.video_view.set_message(str(error))
            self.show_error(str(error))
            self.processing_finished.emit(False)
            return False
        self.reader = reader
        self.video_path = str(path)
        self.setWindowTitle(f"P-STMO Studio - {Path(path).name}")
        self.store.add_recent(str(Path(path).resolve()))
        self._fill_recent_menu()
        self.video_view.set_frame(first)
        count = reader.frame_count or 1
        if self.pipeline.settings.max_frames:
            count = min(count, self.pipeline.settings.max_frames)
        self.timeline.set_range(count, reader.fps)
        self.start_processing(path)
        return True

    def start_processing(self, path: str) -> None:
        self.last_error = None
        worker = ProcessWorker(self.pipeline, path, parent=self)
        worker.progress.connect(self._on_progress)
        worker.done.connect(self._on_processed)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        worker.finished.connect(self._worker_finished)
        self.worker = worker
        self.status_text.setText(f"Processing {Path(path).name}...")
        self.progress_bar.setValue(0)
        self._update_actions()
        worker.start()

    def _on_progress(self, stage: str, done: int, total: int) -> None:
        weights = {"detect": (0, 80), "lift": (80, 18), "motion": (98, 1), "export": (99, 1)}
        base, span = weights.get(stage, (0, 100))
        fraction = done / total if total and total > 0 else 0.0
        self.progress_bar.setValue(int(base + span * min(fraction, 1.0)))
        self.progress_bar.setFormat(f"{stage} {done}/{total if total > 0 else '?'}")

    def _on_processed(self, result: PipelineResult) -> None:
        self.result = result
        motion = result.motion
        self.skeleton_view.set_motion(np.asarray(motion.joints), getattr(motion, "frame", "camera"))
        count = len(result.track)
        if self.reader and self.reader.frame_count:
            count = min(count, self.reader.frame_count) if self.reader.frame_count > 1 else count
        self.timeline.set_range(count, result.track.fps)
        self.show_frame(0)
        s = result.summary
        self.fps_label.setText(f"{s.fps_achieved:.1f} fps processed")
        self.status_text.setText(s.line())
        self.processing_finished.emit(True)

    def _on_failed(self, message: str) -> None:
        self.video_view.set_message(message)
        self.show_error(message)
        self.processing_finished.emit(False)

    def _on_cancelled(self) -> None:
        self.status_text.setText("Cancelled")
        self.processing_finished.emit(False)

    def _worker_finished(self) -> None:
        sender = self.sender()
        if sender is self.worker:
            self.worker = None
        self._update_actions()

    def cancel(self) -> None:
        """Cancels processing and stops live mode."""
        if self.worker:
            self.worker.cancel()
        if self.live_worker:
            self.live_worker.cancel()

    def stop_all(self, wait_ms: int = 10000) -> None:
        for worker in (self.worker, self.live_worker, self.export_worker):
            if worker is not None:
                if hasattr(worker, "cancel"):
                    worker.cancel()
                worker.wait(wait_ms)
        self.worker = None
        self.live_worker = None
        self._update_actions()

    # -------------------------------------------------------------------------------------- playback

    def people_at(self, index: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Every tracked person at frame `index`: [(id, keypoints (17, 2), confidence (17,))]."""
        if self.result is None:
            return []
        people = []
        for n, track in enumerate(self.result.tracks):
            if index < len(track) and not np.isnan(track.keypoints[index]).all():
                pid = track.person_id if track.person_id is not None else n
                people.append((int(pid), track.keypoints[index], track.confidence[index]))
        return people

    def show_frame(self, index: int) -> None:
        if self.live_worker is not None:
            return
        image = self.reader.read(index) if self.reader else None
        followed = self.result.track.person_id if self.result else None
        note = ""
        if self.result is not None and index < len(self.result.missing) and self.result.missing[index]:
            note = f"person #{followed} not detected here: 3D held from the nearest detected frame"
        if image is not None:
            self.video_view.set_frame(image, self.people_at(index), followed, note)
        self.skeleton_view.show_frame(index)

    def _toggle_follow(self, checked: bool) -> None:
        self.skeleton_view.follow_root = checked
        self.skeleton_view.show_frame(self.timeline.index)

    def _toggle_trail(self, checked: bool) -> None:
        self.skeleton_view.show_trail = checked
        self.skeleton_view.show_frame(self.timeline.index)

    # ------------------------------------------------------------------------------------------ live

    def open_webcam_dialog(self) -> None:
        dialog = WebcamDialog(self, mode=self.pipeline.settings.live_mode)
        if dialog.exec_() != QtWidgets.QDialog.Accepted:
            return
        self.pipeline.settings.live_mode = dialog.live_mode()
        try:
            from pipeline.sources import WebcamSource

            source = WebcamSource(dialog.device.value(), dialog.size_wh())
        except Exception as error:  # noqa: BLE001 - no camera, busy camera, ...
            self.show_error(f"webcam {dialog.device.value()}: {error}")
            return
        self.start_live(source, record=dialog.record_file())

    def start_live(self, source: object, record: str | None = None, duration_s: float | None = None) -> None:
        """Live mode on any frame source (webcam, or a fake one in tests)."""
        self.stop_all()
        self.result = None
        self.skeleton_view.set_motion(None)
        self.timeline.set_range(0, 30.0)
        worker = LiveWorker(self.pipeline, source, record=record, duration_s=duration_s, parent=self)
        worker.update.connect(self._on_live_update)
        worker.failed.connect(self.show_error)
        worker.stopped.connect(self._on_live_stopped)
        self.live_worker = worker
        mode = "low latency (causal)" if self.pipeline.settings.live_mode == "causal" else "accurate (centred)"
        self.status_text.setText(f"Live, {mode}" + (f", recording to {record}" if record else ""))
        self.live_updates = 0
        self.last_error = None
        self._update_actions()
        worker.start()

    def _on_live_update(self, update) -> None:
        worker = self.live_worker
        try:
            self.live_updates += 1
            self.video_view.set_frame(update.frame.image, update.people, update.person_id)
            if update.pose is not None:
                self.skeleton_view.show_pose(update.pose, "camera")
            self.fps_label.setText(f"{update.fps:.1f} fps")
            if update.latency_s is not None:
                delay = f" (model delay {update.delay_frames} frames)" if update.delay_frames else ""
                self.latency_label.setText(f"latency {1000 * update.latency_s:.0f} ms{delay}")
        finally:
            if worker is not None:
                worker.handled()

    def _on_live_stopped(self, frames: int) -> None:
        if self.sender() is self.live_worker:
            self.live_worker = None
        if self.last_error is None:
            self.status_text.setText(f"Live stopped after {frames} frames")
        self._update_actions()
        self.live_finished.emit(frames)

    # ---------------------------------------------------------------------------------------- export

    def export_dialog(self) -> None:
        if self.result is None:
            return
        folder = self.store.value("export_folder", str(Path(self.video_path or Path.home()).parent / "pstmo_out"))
        dialog = ExportDialog(self.pipeline.settings, folder, self)
        if dialog.exec_() != QtWidgets.QDialog.Accepted:
            return
        try:
            settings = dialog.settings()
        except ValueError as error:
            self.show_error(str(error))
            return
        self.store.set_value("export_folder", dialog.out_dir())
        self.export(dialog.out_dir(), settings)

    def export(self, out_dir: str, settings: PipelineSettings | None = None) -> CallWorker | None:
        """Writes the current result with `settings` (formats + motion options) off the GUI thread."""
        if self.result is None:
            return None
        settings = settings or self.pipeline.settings
        pipeline = Pipeline(settings, detector=self.pipeline._detector, lifter=self.pipeline._lifter)
        result = self.result

        def work() -> dict[str, str]:
            from dataclasses import replace

            motion = pipeline.postprocess(result.joints, result.track, result.missing)
            return pipeline.write_outputs(replace(result, motion=motion), out_dir)

        worker = CallWorker(work, self)
        worker.done.connect(self._on_exported)
        worker.failed.connect(self.show_error)
        self.export_worker = worker
        self.status_text.setText(f"Exporting to {out_dir}...")
        worker.start()
        return worker

    def _on_exported(self, written: dict[str, str]) -> None:
        self.last_export = written
        self.status_text.setText("Exported: " + ", ".join(Path(p).name for p in written.values()))

    # -------------------------------------------------------------------------------- settings, train

    def settings_dialog(self) -> None:
        dialog = SettingsDialog(self.pipeline.settings, self)
        if dialog.exec_() != QtWidgets.QDialog.Accepted:
            return
        try:
            self.apply_settings(dialog.settings())
        except ValueError as error:
            self.show_error(str(error))

    def apply_settings(self, settings: PipelineSettings) -> None:
        """New settings; loaded models are kept when their detector/checkpoint/device did not change."""
        old = self.pipeline.settings
        same_detector = (old.detector, old.detector_options) == (settings.detector, settings.detector_options)
        same_lifter = (old.checkpoint, old.device) == (settings.checkpoint, settings.device)
        self.pipeline = Pipeline(settings, detector=self.pipeline._detector if same_detector else None,
                                 lifter=self.pipeline._lifter if same_lifter else None,
                                 live_lifter=self.pipeline._live_lifter if same_lifter
                                 and old.live_checkpoint == settings.live_checkpoint else None)
        self.store.save_pipeline_settings(settings)
        self.status_text.setText("Settings saved")

    def training_dialog(self) -> None:
        from app.training_dialog import TrainingDialog

        if getattr(self, "_training", None) is None:
            self._training = TrainingDialog(self)
            self._training.checkpoint_ready.connect(self.use_checkpoint)
        self._training.show()
        self._training.raise_()

    def use_checkpoint(self, path: str) -> None:
        data = self.pipeline.settings.to_dict()
        data["checkpoint"] = path
        self.apply_settings(PipelineSettings.from_dict(data))
        self.status_text.setText(f"Using checkpoint {path}")

    def about(self) -> None:
        QtWidgets.QMessageBox.about(self, "About P-STMO Studio",
                                    "Video and webcam to 3D human motion with P-STMO (Shan et al., ECCV 2022).")

    # ------------------------------------------------------------------------------- drag, screenshot

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:  # noqa: N802 (Qt name)
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:  # noqa: N802 (Qt name)
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_video(files[0])

    def save_screenshot(self, path: str | Path) -> Path:
        """PNG of the whole window (3D view included), written atomically."""
        from pstmo.atomic import atomic_path

        QtWidgets.QApplication.processEvents()
        self.skeleton_view.view.update()
        QtWidgets.QApplication.processEvents()
        path = Path(path)
        with atomic_path(path, create_folder=True, suffix=".png") as tmp:
            if not self.grab().save(str(tmp), "PNG"):
                raise InputError(f"{path}: could not write the screenshot")
        return path

    def best_frame(self) -> int:
        """A frame worth showing: the middle of the frames where the lifted person was detected."""
        if self.result is None:
            return 0
        seen = np.flatnonzero(~self.result.missing)
        return int(seen[len(seen) // 2]) if len(seen) else 0

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt name)
        self.stop_all(wait_ms=5000)
        if self.export_worker is not None:
            self.export_worker.wait(10000)
        if self.reader:
            self.reader.close()
        super().closeEvent(event)
