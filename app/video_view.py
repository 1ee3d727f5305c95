"""`VideoView`: one video frame with every tracked person's 2D skeleton and id drawn on it."""

from __future__ import annotations

import numpy as np
from PyQt5 import QtCore, QtGui, QtWidgets

from app.colors import bone_rgb, person_rgb
from pstmo.skeleton import H36M_BONES


def bgr_to_qimage(image: np.ndarray) -> QtGui.QImage:
    """(H, W, 3) BGR uint8 -> QImage (copied, so the array may be freed)."""
    rgb = np.ascontiguousarray(image[..., ::-1])
    h, w = rgb.shape[:2]
    return QtGui.QImage(rgb.data, w, h, 3 * w, QtGui.QImage.Format_RGB888).copy()


CLICK_PX = 30.0
"""A click selects the person whose box (around their keypoints) is nearest, within this many widget pixels."""


class VideoView(QtWidgets.QWidget):
    """Shows a frame scaled to fit, with people = [(id, keypoints (17, 2) px, confidence (17,))] on top;
    `personClicked(id)` when a click lands on (or near) a labelled person."""

    personClicked = QtCore.pyqtSignal(int)  # noqa: N815 (Qt signal name)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QtWidgets.QSizePolicy.Expanding, QtWidgets.QSizePolicy.Expanding)
        self._image: QtGui.QImage | None = None
        self._source_width: float | None = None  # keypoints are in the original video's pixels
        self._people: list[tuple[int | None, np.ndarray, np.ndarray]] = []
        self._followed: int | None = None
        self._note = ""
        self._message = "File > Open video, drop a video here, or File > Open webcam"

    def set_frame(self, image: np.ndarray | None, people=None, followed: int | None = None, note: str = "",
                  source_size: tuple[int, int] | None = None) -> None:
        """`note`: a line drawn in the top-left corner (e.g. that the lifted person is not detected here).
        `source_size`: (w, h) of the video the keypoints are in, when `image` was scaled down."""
        self.set_image(image, source_size)
        self.set_overlay(people, followed, note)

    def set_image(self, image: np.ndarray | None, source_size: tuple[int, int] | None = None) -> None:
        self._image = bgr_to_qimage(image) if image is not None else None
        self._source_width = float(source_size[0]) if source_size else None
        self.update()

    def set_overlay(self, people=None, followed: int | None = None, note: str = "") -> None:
        """People [(id or None, keypoints (17, 2) px, confidence (17,))] drawn over the image; id None draws
        the skeleton without a label (e.g. detections not yet tracked, while processing)."""
        self._people = list(people or [])
        self._followed = followed
        self._note = note
        self.update()

    def set_message(self, text: str) -> None:
        self._message = text
        self.update()

    def image_rect(self) -> QtCore.QRectF:
        """Where the frame is drawn inside the widget (aspect ratio kept)."""
        if self._image is None:
            return QtCore.QRectF(self.rect())
        iw, ih = self._image.width(), self._image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QtCore.QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def person_at(self, x: float, y: float) -> int | None:
        """The id of the person whose keypoint box holds widget pixel (x, y), or is nearest to it within
        `CLICK_PX` (the smallest box when boxes overlap); None if nobody."""
        if self._image is None:
            return None
        target = self.image_rect()
        scale = target.width() / (self._source_width or self._image.width())
        best, best_key = None, (CLICK_PX, 0.0)
        for person_id, keypoints, _ in self._people:
            points = np.asarray(keypoints, dtype=np.float64)
            points = points[np.isfinite(points).all(axis=1)]
            if person_id is None or not len(points):
                continue
            low = points.min(axis=0) * scale + (target.left(), target.top())
            high = points.max(axis=0) * scale + (target.left(), target.top())
            gap = np.hypot(max(low[0] - x, 0.0, x - high[0]), max(low[1] - y, 0.0, y - high[1]))
            key = (gap, float(np.prod(high - low)))
            if key < best_key:
                best, best_key = int(person_id), key
        return best

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt name)
        person = self.person_at(event.pos().x(), event.pos().y()) if event.button() == QtCore.Qt.LeftButton else None
        if person is not None:
            self.personClicked.emit(person)
        super().mousePressEvent(event)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt name)
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), QtGui.QColor(20, 20, 24))
        if self._image is None:
            painter.setPen(QtGui.QColor(170, 170, 170))
            painter.drawText(self.rect(), QtCore.Qt.AlignCenter | QtCore.Qt.TextWordWrap, self._message)
            return
        painter.setRenderHint(QtGui.QPainter.SmoothPixmapTransform)
        painter.setRenderHint(QtGui.QPainter.Antialiasing)
        target = self.image_rect()
        painter.drawImage(target, self._image)
        scale = target.width() / (self._source_width or self._image.width())
        for person_id, keypoints, confidence in self._people:
            self._draw_person(painter, target, scale, person_id, keypoints, confidence)
        if self._note:
            metrics = QtGui.QFontMetrics(painter.font())
            box = QtCore.QRectF(target.left() + 6, target.top() + 6, metrics.horizontalAdvance(self._note) + 12,
                                metrics.height() + 6)
            painter.setPen(QtCore.Qt.NoPen)
            painter.setBrush(QtGui.QColor(0, 0, 0, 160))
            painter.drawRoundedRect(box, 3, 3)
            painter.setPen(QtGui.QColor(255, 220, 120))
            painter.drawText(box, QtCore.Qt.AlignCenter, self._note)

    def _draw_person(self, painter: QtGui.QPainter, target: QtCore.QRectF, scale: float, person_id: int | None,
                     keypoints: np.ndarray, confidence: np.ndarray) -> None:
        points = target.topLeft().x() + keypoints[:, 0] * scale, target.topLeft().y() + keypoints[:, 1] * scale
        xs, ys = points
        width = 4.0 if person_id == self._followed else 2.0
        for parent, child in H36M_BONES:
            if np.isnan([xs[parent], ys[parent], xs[child], ys[child]]).any():
                continue
            pen = QtGui.QPen(QtGui.QColor(*bone_rgb(child)), width)
            pen.setCapStyle(QtCore.Qt.RoundCap)
            painter.setPen(pen)
            painter.drawLine(QtCore.QPointF(xs[parent], ys[parent]), QtCore.QPointF(xs[child], ys[child]))
        valid = ~np.isnan(xs) & ~np.isnan(ys)
        if not valid.any():
            return
        painter.setPen(QtCore.Qt.NoPen)
        painter.setBrush(QtGui.QColor(255, 255, 255))
        for x, y in zip(xs[valid], ys[valid], strict=True):
            painter.drawEllipse(QtCore.QPointF(x, y), width, width)
        if person_id is None:
            return
        label = f"#{person_id}" + (" (3D)" if person_id == self._followed else "")
        font = painter.font()
        font.setPointSize(11)
        font.setBold(True)
        painter.setFont(font)
        x, y = float(xs[valid].min()), float(ys[valid].min()) - 8
        metrics = QtGui.QFontMetrics(font)
        box = QtCore.QRectF(x - 2, y - metrics.height() + 2, metrics.horizontalAdvance(label) + 6, metrics.height())
        painter.setBrush(QtGui.QColor(*person_rgb(person_id)))
        painter.drawRoundedRect(box, 3, 3)
        painter.setPen(QtGui.QColor(0, 0, 0))
        painter.drawText(box, QtCore.Qt.AlignCenter, label)
