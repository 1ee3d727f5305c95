"""`MainWindow`: video with 2D overlay | 3D skeleton, timeline, status; menus wire user actions to the pipeline.

All processing, frame decoding, checkpoint checks and exports run off the GUI thread (`app.workers`,
`app.frames`); this module only connects widgets, dialogs and workers, and draws what they report.

The shown result (title, timeline, views, Export) changes only when a new result is ready: while a video is
processed the window previews its frames, and a failure or Cancel goes back to the result shown before.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PyQt5 import QtCore, QtGui, QtWidgets

from app.colors import person_rgb
from app.dialogs import EXPORT_OPTION_KEYS, ExportDialog, SettingsDialog, WebcamDialog
from app.frames import FrameLoader
from app.skeleton_view import SkeletonView
from app.store import AppStore
from app.timeline import Timeline
from app.video_view import VideoView
from app.workers import CallWorker, LiveWorker, ProcessWorker
from pipeline.people import on_video_frames
from pipeline.pipeline import Pipeline, PipelineResult, output_stem
from pipeline.settings import PipelineSettings
from pstmo.atomic import cannot_write, check_output_folder
from pstmo.errors import InputError

VIDEO_FILTER = "Videos and images (*.mp4 *.mov *.avi *.mkv *.webm *.m4v *.png *.jpg *.jpeg);;All files (*)"
REPO_ROOT = Path(__file__).resolve().parents[1]
ICON_PATH = REPO_ROOT / "assets" / "icons" / "pstmo.png"
PREVIEW_S = 0.12
"""Seconds between preview frames while a video is processed."""
STAGES = {  # progress stage -> (label, start %, share %) of the whole run
    "detect": ("Detecting people", 0, 80),
    "lift": ("Lifting to 3D", 80, 18),
    "motion": ("Building the motion", 98, 1),
    "export": ("Writing files", 99, 1),
}
RESULT_FIELDS = ("detector", "detector_options", "checkpoint", "device", "flip", "smoothing", "person",
                 "max_frames", "max_gap", "world", "root_trajectory", "foot_lock", "constant_bones", "up",
                 "people_scale")
"""Settings whose change alters the result on screen (so the app offers to process the video again)."""


class ElidedLabel(QtWidgets.QLabel):
    """A one-line label that shortens its text with "..." to fit (the whole text is its tooltip)."""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt name)
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt name)
        return QtCore.QSize(50, super().minimumSizeHint().height())

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt name)
        painter = QtGui.QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), QtCore.Qt.ElideRight, rect.width())
        painter.setPen(self.palette().color(QtGui.QPalette.WindowText))
        painter.drawText(rect, int(self.alignment() | QtCore.Qt.AlignVCenter), text)


def default_export_folder(video_path: str | None) -> str:
    """Beside the video; for a video inside the app's own folder (the bundled sample) or none, ~/pstmo_exports."""
    if video_path:
        folder = Path(video_path).resolve().parent
        try:
            folder.relative_to(REPO_ROOT)
        except ValueError:
            return str(folder)
    return str(Path.home() / "pstmo_exports")


class MainWindow(QtWidgets.QMainWindow):
    """The desktop app's window. `processing_finished(ok)` fires when a video is processed (or fails or is
    cancelled); `frame_shown(index)` when a frame of the result is on screen."""

    processing_finished = QtCore.pyqtSignal(bool)
    live_finished = QtCore.pyqtSignal(int)
    frame_shown = QtCore.pyqtSignal(int)

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
        self.selected_id: int | None = None  # the lifted person the timeline, 3D camera and Export follow
        self.video_path: str | None = None  # the video of `result`
        self.frames: FrameLoader | None = None  # its frames
        self.processing_path: str | None = None  # a video being processed (not shown as the result yet)
        self.worker: ProcessWorker | None = None
        self.live_worker: LiveWorker | None = None
        self.export_worker: CallWorker | None = None
        self.last_error: str | None = None
        self.last_export: dict[str, str] = {}
        self._export_folder = ""  # where the running export writes
        self.live_updates = 0
        self.live_take: str | None = None  # the recording of the last live take kept as the result
        self.live_dropped = 0  # frames the live session dropped while busy (shown when it stops)
        self._queued: tuple | None = None  # what to start when the running worker has stopped
        self._wanted_frame = 0
        self._detect_started: float | None = None
        self._stage = ""
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
        self.video_view.personClicked.connect(self.select_person)
        self.skeleton_view.personClicked.connect(self.select_person)
        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.timeline)
        self.setCentralWidget(central)
        status = self.statusBar()
        self.status_text = ElidedLabel("Ready: File > Open video (Ctrl+O), or drop a video on the window")
        self.progress_bar = QtWidgets.QProgressBar()
        self.progress_bar.setMinimumWidth(300)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setAlignment(QtCore.Qt.AlignCenter)
        self.progress_bar.setVisible(False)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop processing or live mode (Esc)")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.fps_label = QtWidgets.QLabel("fps -")
        self.latency_label = QtWidgets.QLabel("")
        status.addWidget(self.status_text, 1)
        status.addPermanentWidget(self.progress_bar)
        status.addPermanentWidget(self.cancel_button)
        status.addPermanentWidget(self.fps_label)
        status.addPermanentWidget(self.latency_label)

    def _action(self, menu: QtWidgets.QMenu, text: str, slot, shortcut=None) -> QtWidgets.QAction:
        action = menu.addAction(text)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(QtGui.QKeySequence(shortcut))
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action(file_menu, "&Open video...", self.open_video_dialog, "Ctrl+O")
        self.webcam_action = self._action(file_menu, "Open &webcam...", self.open_webcam_dialog, "Ctrl+Shift+O")
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._fill_recent_menu()
        self.close_video_action = self._action(file_menu, "&Close video", self.close_video, "Ctrl+W")
        file_menu.addSeparator()
        self.export_action = self._action(file_menu, "&Export...", self.export_dialog, "Ctrl+E")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, "Ctrl+Q")
        edit_menu = bar.addMenu("&Edit")
        self.settings_action = self._action(edit_menu, "&Settings...", self.settings_dialog, "Ctrl+,")
        view_menu = bar.addMenu("&View")
        self.reset_view_action = self._action(view_menu, "&Reset view", self.skeleton_view.reset_view, "Ctrl+0")
        self.follow_action = self._action(view_menu, "&Follow root", self._toggle_follow, "F")
        self.follow_action.setCheckable(True)
        self.follow_action.setChecked(True)
        self.trail_action = self._action(view_menu, "Root &trail", self._toggle_trail, "T")
        self.trail_action.setCheckable(True)
        self.trail_action.setChecked(True)
        play_menu = bar.addMenu("&Playback")
        self.play_action = self._action(play_menu, "&Play / pause", self.timeline.toggle_play, "Space")
        self._action(play_menu, "&Next frame", lambda: self.timeline.step(1), "Right")
        self._action(play_menu, "P&revious frame", lambda: self.timeline.step(-1), "Left")
        self._action(play_menu, "Forward one second", lambda: self.timeline.step(round(self.timeline.fps)),
                     "Shift+Right")
        self._action(play_menu, "Back one second", lambda: self.timeline.step(-round(self.timeline.fps)),
                     "Shift+Left")
        self._action(play_menu, "&First frame", self.timeline.go_to_start, "Home")
        self._action(play_menu, "&Last frame", self.timeline.go_to_end, "End")
        play_menu.addSeparator()
        self.stop_live_action = self._action(play_menu, "&Stop live / processing", self.cancel, "Esc")
        training_menu = bar.addMenu("&Training")
        self.train_action = self._action(training_menu, "&Train a lifter...", self.training_dialog)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&User guide", self.show_guide, "F1")
        self._action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, "Ctrl+/")
        self._action(help_menu, "&About P-STMO Studio", self.about)

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
        self.close_video_action.setEnabled(self.result is not None and not busy)
        self.settings_action.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.progress_bar.setVisible(self.worker is not None)
        self.timeline.set_busy(busy)

    @property
    def busy(self) -> bool:
        return self.worker is not None or self.live_worker is not None

    def _set_title(self) -> None:
        self.setWindowTitle(f"P-STMO Studio - {Path(self.video_path).name}" if self.video_path else "P-STMO Studio")

    # ---------------------------------------------------------------------------------------- errors

    def show_error(self, message: str) -> None:
        """A readable message in the status bar and a non-blocking message box."""
        self.last_error = message
        self.status_text.setText(f"Error: {message}")
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Warning, "P-STMO Studio", message,
                                    QtWidgets.QMessageBox.Ok, self)
        box.open()
        self.error_box = box

    def _still_showing(self) -> str:
        return f"; still showing {Path(self.video_path).name}" if self.result is not None and self.video_path else ""

    # ------------------------------------------------------------------------------------ open video

    def open_video_dialog(self) -> None:
        folder = str(Path(self.video_path).parent) if self.video_path else str(Path.home())
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open video", folder, VIDEO_FILTER)
        if path:
            self.open_video(path)

    def open_video(self, path: str) -> bool:
        """Processes `path` in the background, previewing its frames; the result on screen is replaced only
        when the new one is ready. A running job is cancelled first (without waiting on the GUI thread)."""
        if self._stop_then(("open", str(path))):
            return True
        self.start_processing(str(path))
        return True

    def reprocess(self) -> None:
        """Processes the shown video again (e.g. with new settings)."""
        if self.video_path:
            self.open_video(self.video_path)

    def _stop_then(self, job: tuple) -> bool:
        """If a worker is running: cancel it and run `job` when it has stopped (True). False if none runs."""
        if not self.busy:
            return False
        self._queued = job
        self.cancel()
        return True

    def _run_queued(self) -> None:
        job, self._queued = self._queued, None
        if job is None or self.busy:
            self._queued = job if self.busy else None
            return
        if job[0] == "open":
            self.start_processing(job[1])
        elif job[0] == "live":
            self.start_live(*job[1:])

    def start_processing(self, path: str) -> None:
        self.last_error = None
        self.processing_path = path
        worker = ProcessWorker(self.pipeline, path, parent=self, preview_s=PREVIEW_S)
        worker.progress.connect(self._on_progress)
        worker.preview.connect(self._on_preview)
        worker.done.connect(self._on_processed)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        worker.finished.connect(self._worker_finished)
        self.worker = worker
        self._detect_started = None
        self._stage = "load"
        self.status_text.setText(f"Processing {Path(path).name}: loading the models...")
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("Loading models...")
        self.fps_label.setText("fps -")
        self.latency_label.setText("")
        self._update_actions()
        worker.start()

    def _on_progress(self, stage: str, done: int, total: int) -> None:
        if self.sender() is not self.worker:
            return
        label, base, span = STAGES.get(stage, (stage, 0, 100))
        fraction = done / total if total and total > 0 else 0.0
        self.progress_bar.setValue(int(base + span * min(fraction, 1.0)))
        self.progress_bar.setFormat(f"{label}  %p%")
        counted = f"{done}/{total}" if total and total > 0 else str(done)
        self.progress_bar.setToolTip(f"{label}: {counted}")
        if stage != self._stage:
            self._stage = stage
            name = Path(self.processing_path or "").name
            self.status_text.setText(f"Processing {name}: {label.lower()}..." + self._still_showing())
        if stage == "detect":
            now = time.perf_counter()
            if self._detect_started is None or done <= 1:
                self._detect_started, self._detect_first = now, done
            elif now > self._detect_started:
                fps = (done - self._detect_first) / (now - self._detect_started)
                self.fps_label.setText(f"{fps:.1f} fps")

    def _on_preview(self, image: np.ndarray, people: list, source_size: tuple[int, int]) -> None:
        if self.sender() is not self.worker:
            return
        note = f"Processing {Path(self.processing_path or '').name}: {self.progress_bar.text().lower()}"
        self.video_view.set_frame(image, people, None, note, source_size=source_size)

    def _on_processed(self, result: PipelineResult) -> None:
        if self.sender() is not self.worker:
            return
        self._show_result(result, self.processing_path or str(result.summary.source))
        s = result.summary
        reason = result.track.extra.get("target_reason") if isinstance(result.track.extra, dict) else None
        people = f"{s.people} {'person' if s.people == 1 else 'people'} tracked"
        self.status_text.setText(f"{Path(self.video_path).name}: {s.frames} frames, {people}"
                                 + (f". {reason}" if reason else "")
                                 + (f". {s.missing_frames} frames without the person (3D held)"
                                    if s.missing_frames else "")
                                 + "".join(f". Warning: {w}" for w in s.warnings))
        self.status_text.setToolTip(s.line() + (f"\n{reason}\nChange who is followed in Edit > Settings > "
                                                "Target person." if reason else ""))
        self.fps_label.setText(f"{s.fps_achieved:.1f} fps processed")
        self.processing_finished.emit(True)

    def _show_result(self, result: PipelineResult, path: str) -> None:
        """Makes `result` (of the video at `path`) the one shown: title, timeline, views, Export."""
        self.result = result
        self.video_path = str(path)
        self.processing_path = None
        self._set_title()
        self.store.add_recent(str(Path(path).resolve()))
        self._fill_recent_menu()
        if self.frames is not None:
            self.frames.close(wait_s=0)
        self.frames = FrameLoader(self.video_path, self)
        self.frames.frameReady.connect(self._on_frame_ready)
        self.selected_id = result.track.person_id
        self.timeline.set_range(len(result.track), result.track.fps)
        self._show_people(0)
        self.show_frame(0)
        self._update_actions()

    # ---------------------------------------------------------------------------------------- people

    @property
    def selected(self):
        """The selected lifted person (`pipeline.people.PersonResult`; the main person unless another was
        clicked); None without a result."""
        if self.result is None:
            return None
        return self.result.person(self.selected_id) or (self.result.people[0] if self.result.people else None)

    def _show_people(self, index: int) -> None:
        """The 3D view and the timeline's person label for the selected person (everyone else drawn beside)."""
        result, chosen = self.result, self.selected
        motion = result.motion
        if chosen is None or len(result.people) < 2:
            self.skeleton_view.set_motion(np.asarray(motion.joints), getattr(motion, "frame", "camera"), index=index)
            self.timeline.set_person("")
            return
        frames = len(result.track)
        others = {p.person_id: on_video_frames(p, frames) for p in result.people if p is not chosen}
        joints = chosen.motion.joints if chosen is result.people[0] else on_video_frames(chosen, frames)
        self.skeleton_view.set_motion(joints, chosen.motion.frame, index=index, people=others,
                                      selected=chosen.person_id)
        first, stop = chosen.span
        self.timeline.set_person(f"#{chosen.person_id}", person_rgb(chosen.person_id or 0),
                                 f"The timeline, 3D camera and Export follow #{chosen.person_id} (seen in frames "
                                 f"{first + 1}-{stop}); click another person in the video or the 3D view to "
                                 "follow them")

    def select_person(self, person_id: int) -> None:
        """Follows tracker id `person_id` (clicked in the video or the 3D view): the 3D camera, the timeline's
        note and Export's default. A person who was not lifted is named in the status bar."""
        if self.result is None or self.live_worker is not None or person_id == self.selected_id:
            return
        if self.result.person(person_id) is None:
            why = ("process with Target person 'everyone' to lift everyone" if not self.result.everyone
                   else "seen too briefly to lift")
            self.status_text.setText(f"#{person_id} was not lifted to 3D: {why}")
            return
        self.selected_id = person_id
        self._show_people(self.timeline.index)
        self.status_text.setText(f"Following #{person_id}: 3D view, timeline and Export")
        self.show_frame(self.timeline.index)

    def _on_failed(self, message: str) -> None:
        if self.sender() is not self.worker:
            return
        self._restore()
        self.show_error(message + self._still_showing())
        self.processing_finished.emit(False)

    def _on_cancelled(self) -> None:
        if self.sender() is not self.worker:
            return
        self._restore()
        self.status_text.setText("Cancelled" + self._still_showing())
        self.processing_finished.emit(False)

    def _restore(self) -> None:
        """Back to the result shown before the failed or cancelled run (or the empty start screen)."""
        self.processing_path = None
        if self.result is not None:
            self.show_frame(self.timeline.index)
        else:
            self.video_view.set_frame(None)
        self.fps_label.setText(f"{self.result.summary.fps_achieved:.1f} fps processed" if self.result else "fps -")

    def _worker_finished(self) -> None:
        if self.sender() is self.worker:
            self.worker = None
        self._update_actions()
        self._run_queued()

    def cancel(self) -> None:
        """Cancels processing and stops live mode (Esc)."""
        if self.worker:
            self.worker.cancel()
        if self.live_worker:
            self.live_worker.cancel()

    def stop_all(self, wait_ms: int = 10000) -> None:
        """Cancels every worker and waits for them (for closing the window and for tests)."""
        self._queued = None
        for worker in (self.worker, self.live_worker, self.export_worker):
            if worker is not None:
                if hasattr(worker, "cancel"):
                    worker.cancel()
                worker.wait(wait_ms)
        QtWidgets.QApplication.processEvents()  # deliver their last signals
        self.worker = None
        self.live_worker = None
        self._update_actions()

    def close_video(self) -> None:
        """File > Close video: back to the empty start screen."""
        if self.busy:
            return
        self.result = None
        self.video_path = None
        if self.frames is not None:
            self.frames.close(wait_s=0)
            self.frames = None
        self.timeline.set_range(0, 30.0)
        self.skeleton_view.set_motion(None)
        self.video_view.set_frame(None)
        self.video_view.set_message("File > Open video, drop a video here, or File > Open webcam")
        self.fps_label.setText("fps -")
        self.status_text.setText("Ready")
        self._set_title()
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

    def note_at(self, index: int) -> str:
        chosen = self.selected
        if chosen is None:
            return ""
        n = chosen.index(index)
        if n is None:
            return f"person #{chosen.person_id} not in view here"
        if chosen.missing[n]:
            return f"person #{chosen.person_id} not detected here: 3D held from the nearest detected frame"
        return ""

    def show_frame(self, index: int) -> None:
        """Shows frame `index` of the result: the 3D pose at once, the video frame when it is decoded."""
        if self.live_worker is not None or self.result is None:
            return
        self._wanted_frame = int(index)
        self.skeleton_view.show_frame(index)
        if self.frames is not None and self.processing_path is None:
            self.frames.request(index)

    def _on_frame_ready(self, index: int, image: np.ndarray) -> None:
        if self.sender() is not self.frames or index != self._wanted_frame or self.result is None:
            return
        if self.processing_path is not None or self.live_worker is not None:
            return  # the preview of a video being processed, or live mode, owns the video view
        followed = self.selected_id
        self.video_view.set_frame(image, self.people_at(index), followed, self.note_at(index),
                                  source_size=self.result.track.image_size)
        self.frame_shown.emit(index)

    def _toggle_follow(self, checked: bool) -> None:
        self.skeleton_view.set_follow_root(checked)

    def _toggle_trail(self, checked: bool) -> None:
        self.skeleton_view.set_show_trail(checked)

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
        """Live mode on any frame source (webcam, or a fake one in tests). The processed result stays: when
        live mode stops it is shown again."""
        if self._stop_then(("live", source, record, duration_s)):
            return
        worker = LiveWorker(self.pipeline, source, record=record, duration_s=duration_s, parent=self)
        worker.update.connect(self._on_live_update)
        worker.failed.connect(self.show_error)
        worker.captured.connect(self._on_live_captured)
        worker.stopped.connect(self._on_live_stopped)
        self.live_worker = worker
        self.live_take = None
        mode = "low latency (causal)" if self.pipeline.settings.live_mode == "causal" else "accurate (centred)"
        self.status_text.setText(f"Live, {mode}" + (f", recording to {record}" if record else "")
                                 + " - Esc stops")
        self.setWindowTitle("P-STMO Studio - live")
        self.live_updates = 0
        self.live_dropped = 0
        self.last_error = None
        self.fps_label.setText("fps -")
        self._update_actions()
        worker.start()

    def _on_live_update(self, update) -> None:
        worker = self.live_worker
        try:
            if self.sender() is not worker:
                return
            self.live_updates += 1
            self.video_view.set_frame(update.frame.image, update.people, update.person_id)
            if update.pose is not None:
                others = {pid: pose for pid, pose in update.poses.items() if pid != update.person_id}
                self.skeleton_view.show_pose(update.pose, "camera", people=others, selected=update.person_id,
                                             roots=update.roots)
            self.fps_label.setText(f"{update.fps:.1f} fps, {update.dropped} dropped")
            self.live_dropped = update.dropped
            if update.latency_s is not None:
                delay = f" (model delay {update.delay_frames} frames)" if update.delay_frames else ""
                self.latency_label.setText(f"latency {1000 * update.latency_s:.0f} ms{delay}")
        finally:
            if worker is not None:
                worker.handled()

    def _on_live_captured(self, result: PipelineResult, recording: str) -> None:
        """A recorded take ended: it becomes the result on screen, over its recording, ready for Export."""
        if self.sender() is not self.live_worker:
            return
        self._show_result(result, recording)
        self.live_take = recording

    def _on_live_stopped(self, frames: int) -> None:
        if self.sender() is self.live_worker:
            self.live_worker = None
        if self.last_error is None and self.live_take:
            missing = int(self.result.missing.sum())
            self.status_text.setText(f"Live take kept: {Path(self.live_take).name}, {len(self.result.track)} frames"
                                     + (f" ({missing} without a 3D pose, held)" if missing else "")
                                     + ". File > Export saves it; play it back with Space")
        elif self.last_error is None:
            self.status_text.setText(f"Live stopped after {frames} frames ({self.live_dropped} dropped while busy)"
                                     + self._still_showing()
                                     + ". To keep a take for export, tick Record to in File > Open webcam")
        if self.result is not None:  # back to the processed result
            self._show_people(self.timeline.index)
            self.show_frame(self.timeline.index)
        self._set_title()
        self._update_actions()
        self.live_finished.emit(frames)
        self._run_queued()

    # ---------------------------------------------------------------------------------------- export

    def export_settings(self) -> PipelineSettings:
        """The pipeline settings with the Export dialog's remembered choices."""
        data = self.pipeline.settings.to_dict()
        data.update({k: v for k, v in self.store.export_options().items() if k in EXPORT_OPTION_KEYS})
        try:
            return PipelineSettings.from_dict(data)
        except (ValueError, TypeError):
            return self.pipeline.settings

    def export_dialog(self) -> None:
        if self.result is None:
            return
        folder = self.store.value("export_folder", "") or default_export_folder(self.video_path)
        stem = output_stem(self.result.summary.source)
        people = self.result.summary.lifted if self.result.everyone else []
        dialog = ExportDialog(self.export_settings(), folder, self, stem=stem, people=people,
                              selected=self.selected_id)
        if dialog.exec_() != QtWidgets.QDialog.Accepted:
            return
        self.export_to(dialog.out_dir(), dialog.settings(), people=dialog.people())

    def export_to(self, out_dir: str, settings: PipelineSettings, people: list[int] | None = None) -> None:
        """Remembers the choices, asks before replacing existing files, then exports (`people`: of a
        multi-person result, only these ids; None: everyone)."""
        self.store.set_value("export_folder", out_dir)
        self.store.save_export_options({k: settings.to_dict()[k] for k in EXPORT_OPTION_KEYS})
        lifted = self.result.summary.lifted if self.result.everyone else None
        paths = Pipeline(settings).output_paths(self.result.summary.source, Path(out_dir).expanduser(),
                                                result_file=False,
                                                people=[p for p in lifted if people is None or p in people]
                                                if lifted else None)
        existing = [p for p in paths.values() if p.exists()]
        if not existing:
            self.export(out_dir, settings, people=people)
            return
        names = ", ".join(p.name for p in existing)
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Question, "Replace files?",
                                    f"{len(existing)} file{'s' if len(existing) > 1 else ''} already in {out_dir}: "
                                    f"{names}.\nReplace {'them' if len(existing) > 1 else 'it'}?",
                                    QtWidgets.QMessageBox.Yes | QtWidgets.QMessageBox.No, self)
        box.setDefaultButton(QtWidgets.QMessageBox.No)
        box.button(QtWidgets.QMessageBox.Yes).setText("Replace")
        box.finished.connect(lambda answer: answer == QtWidgets.QMessageBox.Yes
                             and self.export(out_dir, settings, people=people))
        box.open()
        self.overwrite_box = box

    def export(self, out_dir: str, settings: PipelineSettings | None = None,
               people: list[int] | None = None) -> CallWorker | None:
        """Writes the current result in `settings.exports` (no other files) off the GUI thread; of a
        multi-person result one file per person and format (`people`: only these ids; None: everyone)."""
        if self.result is None:
            return None
        settings = settings or self.pipeline.settings
        pipeline = self.pipeline.reconfigured(settings)  # postprocess + write only: nothing loads
        result = self.result
        folder = Path(out_dir).expanduser()

        def work() -> dict[str, str]:
            check_output_folder(folder)  # names the folder and the cause before the work
            redone = pipeline.repostprocessed(result)
            try:
                return pipeline.write_outputs(redone, folder, result_file=False, people=people)
            except InputError:
                raise
            except OSError as error:
                raise cannot_write(folder, error, "cannot export there") from None

        worker = CallWorker(work, self)
        self._export_folder = str(folder)
        worker.done.connect(self._on_exported)  # a bound method: dropped if the window is destroyed first
        worker.failed.connect(self.show_error)
        self.export_worker = worker
        self.status_text.setText(f"Exporting to {folder}...")
        worker.start()
        return worker

    def _on_exported(self, written: dict[str, str]) -> None:
        folder = self._export_folder
        self.last_export = written
        names = ", ".join(Path(p).name for p in written.values())
        self.status_text.setText(f"Exported {len(written)} file{'s' if len(written) != 1 else ''} to {folder}: {names}")

    # -------------------------------------------------------------------------------- settings, train

    def settings_dialog(self) -> None:
        dialog = SettingsDialog(self.pipeline.settings, self)
        if dialog.exec_() != QtWidgets.QDialog.Accepted:
            return
        self.apply_settings(dialog.settings())

    def apply_settings(self, settings: PipelineSettings, offer_reprocess: bool = True) -> None:
        """New settings; loaded models are kept when their detector/checkpoint/device did not change
        (`Pipeline.reconfigured`). When the change alters the shown result, offers to process its video again
        (the result stays until then)."""
        old = self.pipeline.settings
        self.pipeline = self.pipeline.reconfigured(settings)
        self.store.save_pipeline_settings(settings)
        changed = [f for f in RESULT_FIELDS if getattr(old, f) != getattr(settings, f)]
        self.status_text.setText("Settings saved")
        if offer_reprocess and changed and self.result is not None and self.video_path:
            name = Path(self.video_path).name
            box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Question, "Process again?",
                                        f"Process {name} again with the new settings?\nThe current result stays on "
                                        "screen until the new one is ready.",
                                        QtWidgets.QMessageBox.Yes | QtWidgets.QMessageBox.No, self)
            box.button(QtWidgets.QMessageBox.Yes).setText("Process again")
            box.button(QtWidgets.QMessageBox.No).setText("Later")
            box.finished.connect(lambda answer: answer == QtWidgets.QMessageBox.Yes and self.reprocess())
            box.open()
            self.reprocess_box = box

    def training_dialog(self) -> None:
        from app.training_dialog import TrainingDialog

        if getattr(self, "_training", None) is None:
            self._training = TrainingDialog(self)
            self._training.checkpoint_ready.connect(self.use_checkpoint)
        self._training.show()
        self._training.raise_()

    def use_checkpoint(self, path: str) -> None:
        """Uses a (checked) Stage II checkpoint from now on, e.g. one the training dialog just made."""
        data = self.pipeline.settings.to_dict()
        data["checkpoint"] = path
        self.apply_settings(PipelineSettings.from_dict(data))
        self.status_text.setText(f"Using checkpoint {path}")

    # ------------------------------------------------------------------------------------------ help

    def show_guide(self) -> None:
        from app.help import GuideDialog

        if getattr(self, "guide", None) is None:
            self.guide = GuideDialog(self)
        self.guide.show()
        self.guide.raise_()

    def show_shortcuts(self) -> None:
        from app.help import ShortcutsDialog

        self.shortcuts = ShortcutsDialog(self.menuBar(), self)
        self.shortcuts.show()

    def about(self) -> None:
        from app.help import about_text

        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Information, "About P-STMO Studio", about_text(),
                                    QtWidgets.QMessageBox.Ok, self)
        box.setTextFormat(QtCore.Qt.RichText)
        box.open()
        self.about_box = box

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
        """A frame worth showing: the middle of the frames where the lifted person (everyone lifted, when
        they share some) was detected."""
        if self.result is None:
            return 0
        seen = np.flatnonzero(~self.result.missing)
        if len(self.result.people) > 1:
            together = [f for f in seen if all(p.seen(f) for p in self.result.people)]
            seen = np.asarray(together) if together else seen
        return int(seen[len(seen) // 2]) if len(seen) else 0

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt name)
        self.stop_all(wait_ms=5000)
        if self.export_worker is not None:
            self.export_worker.wait(10000)
        if self.frames is not None:
            self.frames.close()
        super().closeEvent(event)
