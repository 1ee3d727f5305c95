"""`Timeline`: play/pause, step back/forward, a scrub slider (click anywhere to jump there) and the frame/time
label."""

from __future__ import annotations

from PyQt5 import QtCore, QtWidgets


class SeekSlider(QtWidgets.QSlider):
    """A horizontal slider whose track jumps to the clicked frame (a plain QSlider pages by 10 instead)."""

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.button() == QtCore.Qt.LeftButton and not self._on_handle(event.pos()):
            self.setValue(self.value_at(event.pos().x()))
            event.accept()
        super().mousePressEvent(event)  # then a drag from here moves the handle

    def _on_handle(self, pos: QtCore.QPoint) -> bool:
        option = QtWidgets.QStyleOptionSlider()
        self.initStyleOption(option)
        handle = self.style().subControlRect(QtWidgets.QStyle.CC_Slider, option, QtWidgets.QStyle.SC_SliderHandle,
                                             self)
        return handle.contains(pos)

    def value_at(self, x: int) -> int:
        """The frame under pixel column `x` of the slider."""
        option = QtWidgets.QStyleOptionSlider()
        self.initStyleOption(option)
        style = self.style()
        groove = style.subControlRect(QtWidgets.QStyle.CC_Slider, option, QtWidgets.QStyle.SC_SliderGroove, self)
        handle = style.subControlRect(QtWidgets.QStyle.CC_Slider, option, QtWidgets.QStyle.SC_SliderHandle, self)
        start = groove.x() + handle.width() // 2
        span = max(groove.width() - handle.width(), 1)
        return QtWidgets.QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), x - start, span)


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
        self.slider = SeekSlider(QtCore.Qt.Horizontal)
        self.slider.setToolTip("Click or drag to go to a frame (Home / End: first / last frame)")
        self.label = QtWidgets.QLabel("0 / 0")
        self.label.setMinimumWidth(150)
        self.person_label = QtWidgets.QLabel("")
        self.person_label.setVisible(False)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        for widget in (self.back_button, self.play_button, self.step_button):
            layout.addWidget(widget)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        layout.addWidget(self.person_label)
        self.timer = QtCore.QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.play_button.clicked.connect(self.toggle_play)
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.step_button.clicked.connect(lambda: self.step(1))
        self.slider.valueChanged.connect(self._on_slider)
        self.fps = 30.0
        self._count = 0
        self._busy = False
        self.set_range(0, 30.0)

    def set_range(self, frame_count: int, fps: float, index: int = 0) -> None:
        """A new clip of `frame_count` frames at `fps`, showing frame `index` (no `frameChanged`)."""
        self.stop()
        self.fps = float(fps or 30.0)
        self._count = max(int(frame_count), 0)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(self._count - 1, 0))
        self.slider.setValue(int(index))
        self.slider.blockSignals(False)
        self._update_enabled()
        self._update_label()

    def set_person(self, text: str = "", rgb: tuple[int, int, int] | None = None, tip: str = "") -> None:
        """The person the timeline follows (a multi-person result), e.g. "#1", on their colour; "" hides it."""
        self.person_label.setText(text)
        self.person_label.setToolTip(tip)
        colour = "#{:02x}{:02x}{:02x}".format(*rgb) if rgb else "transparent"
        self.person_label.setStyleSheet(f"QLabel {{ background: {colour}; color: black; font-weight: bold; "
                                        "padding: 1px 6px; border-radius: 3px; }")
        self.person_label.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        """While a new video is processed the timeline of the shown one is paused and greyed out."""
        self._busy = bool(busy)
        if busy:
            self.stop()
        self._update_enabled()

    def _update_enabled(self) -> None:
        self.setEnabled(self._count > 0 and not self._busy)

    @property
    def index(self) -> int:
        return self.slider.value()

    @property
    def frame_count(self) -> int:
        return self._count

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def set_index(self, index: int) -> None:
        self.slider.setValue(int(index))

    def step(self, delta: int) -> None:
        if not self.isEnabled():
            return
        self.stop()
        self.set_index(self.index + delta)

    def go_to_start(self) -> None:
        self.step(-self.index)

    def go_to_end(self) -> None:
        self.step(self.slider.maximum() - self.index)

    def toggle_play(self) -> None:
        if self.playing:
            self.stop()
        elif self.frame_count > 1 and self.isEnabled():
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
        if not self._count:
            self.label.setText("0 / 0")
            return
        self.label.setText(f"{self.index + 1} / {self._count}   {self.index / self.fps:6.2f} s")
