"""`Timeline`: play/pause, step back/forward, a scrub slider and the frame/time label."""

from __future__ import annotations

from PyQt5 import QtCore, QtWidgets


class Timeline(QtWidgets.QWidget):
    """Emits `frameChanged(index)` when the user scrubs or steps, and while playing (at `fps`)."""

    frameChanged = QtCore.pyqtSignal(int)  # noqa: N815 (Qt signal name)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        style = self.style()
        self.play_button = QtWidgets.QToolButton(toolTip="Play / pause (Space)")
        self.play_button.setIcon(style.standardIcon(QtWidgets.QStyle.SP_MediaPlay))
        self.back_button = QtWidgets.QToolButton(toolTip="Previous frame (Left)")
        self.back_button.setIcon(style.standardIcon(QtWidgets.QStyle.SP_MediaSeekBackward))
        self.step_button = QtWidgets.QToolButton(toolTip="Next frame (Right)")
        self.step_button.setIcon(style.standardIcon(QtWidgets.QStyle.SP_MediaSeekForward))
        self.slider = QtWidgets.QSlider(QtCore.Qt.Horizontal)
        self.label = QtWidgets.QLabel("0 / 0")
        self.label.setMinimumWidth(150)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        for widget in (self.back_button, self.play_button, self.step_button):
            layout.addWidget(widget)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.timer = QtCore.QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.play_button.clicked.connect(self.toggle_play)
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.step_button.clicked.connect(lambda: self.step(1))
        self.slider.valueChanged.connect(self._on_slider)
        self.fps = 30.0
        self.set_range(0, 30.0)

    def set_range(self, frame_count: int, fps: float) -> None:
        self.stop()
        self.fps = float(fps or 30.0)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(frame_count - 1, 0))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.setEnabled(frame_count > 0)
        self._update_label()

    @property
    def index(self) -> int:
        return self.slider.value()

    @property
    def frame_count(self) -> int:
        return self.slider.maximum() + 1 if self.isEnabled() else 0

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def set_index(self, index: int) -> None:
        self.slider.setValue(int(index))

    def step(self, delta: int) -> None:
        self.stop()
        self.set_index(self.index + delta)

    def toggle_play(self) -> None:
        if self.playing:
            self.stop()
        elif self.frame_count > 1:
            if self.index >= self.slider.maximum():
                self.set_index(0)
            self.timer.start(max(int(1000 / self.fps), 1))
            self.play_button.setIcon(self.style().standardIcon(QtWidgets.QStyle.SP_MediaPause))

    def stop(self) -> None:
        self.timer.stop()
        self.play_button.setIcon(self.style().standardIcon(QtWidgets.QStyle.SP_MediaPlay))

    def _tick(self) -> None:
        if self.index >= self.slider.maximum():
            self.stop()
        else:
            self.slider.setValue(self.index + 1)

    def _on_slider(self, value: int) -> None:
        self._update_label()
        self.frameChanged.emit(value)

    def _update_label(self) -> None:
        n = self.slider.maximum() + 1
        self.label.setText(f"{self.index + 1} / {n}   {self.index / self.fps:6.2f} s")
