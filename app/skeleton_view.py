"""`SkeletonView`: the 3D skeleton in a pyqtgraph `GLViewWidget` — left/right colours, ground grid, orbit and
zoom (mouse), optional follow-the-root camera and a trail of the root trajectory."""

from __future__ import annotations

import numpy as np
import pyqtgraph.opengl as gl
from PyQt5 import QtGui, QtWidgets

from app.colors import CENTRE_RGB, LEFT_RGB, RIGHT_RGB, TRAIL_RGB, bone_colors_float
from pstmo.skeleton import H36M_BONES, H36M_ROOT

_BONES = np.array(H36M_BONES, dtype=np.int64)


def to_display(joints: np.ndarray, frame: str) -> np.ndarray:
    """(..., 17, 3) joints in a `Motion` frame -> the view's Z-up frame (metres, right-handed)."""
    x, y, z = joints[..., 0], joints[..., 1], joints[..., 2]
    if frame == "world_z_up":
        return np.array(joints, dtype=np.float32, copy=True)
    if frame == "world_y_up":
        return np.stack([x, -z, y], axis=-1).astype(np.float32)
    # camera: x right, y down, z forward
    return np.stack([x, z, -y], axis=-1).astype(np.float32)


def gl_surface_format() -> QtGui.QSurfaceFormat:
    """OpenGL 2.1 compatibility: pyqtgraph's shaders need it, and Qt's offscreen platform reports 2.0 otherwise."""
    fmt = QtGui.QSurfaceFormat()
    fmt.setVersion(2, 1)
    fmt.setProfile(QtGui.QSurfaceFormat.CompatibilityProfile)
    fmt.setDepthBufferSize(24)
    return fmt


def configure_opengl() -> None:
    """Call before the QApplication exists: one OpenGL context family for all views (pyqtgraph caches its
    shader programs across views) and OpenGL 2.1 compatibility by default."""
    from PyQt5 import QtCore

    QtWidgets.QApplication.setAttribute(QtCore.Qt.AA_ShareOpenGLContexts)
    QtGui.QSurfaceFormat.setDefaultFormat(gl_surface_format())


class SkeletonView(QtWidgets.QWidget):
    """Shows poses from `set_motion(joints (T, 17, 3), frame)` one frame at a time (`show_frame(i)`), or a
    live pose (`show_pose(pose (17, 3), frame)`)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.follow_root = True
        self.show_trail = True
        self.view = gl.GLViewWidget()
        self.view.setFormat(gl_surface_format())
        self.view.setBackgroundColor((28, 30, 36))
        self.view.setCameraPosition(distance=2.8, elevation=10, azimuth=-75)
        self.view.setMinimumSize(320, 240)
        self.grid = gl.GLGridItem(size=QtGui.QVector3D(10, 10, 1))
        self.grid.setSpacing(0.5, 0.5, 1)
        self.grid.setColor((120, 120, 130, 160))
        self.view.addItem(self.grid)
        self.bones = gl.GLLinePlotItem(pos=np.zeros((32, 3)), color=np.repeat(bone_colors_float(), 2, axis=0),
                                       width=5, mode="lines", antialias=False)
        self.joints = gl.GLScatterPlotItem(pos=np.zeros((17, 3)), color=tuple(c / 255 for c in CENTRE_RGB) + (1,),
                                           size=8, pxMode=True)
        self.trail = gl.GLLinePlotItem(pos=np.zeros((2, 3)), color=tuple(c / 255 for c in TRAIL_RGB) + (0.9,),
                                       width=2, mode="line_strip", antialias=False)
        for item in (self.trail, self.bones, self.joints):
            item.setVisible(False)
            self.view.addItem(item)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.legend = QtWidgets.QLabel(self.view)
        self.legend.setStyleSheet("QLabel { color: #dddddd; background: rgba(0, 0, 0, 110); padding: 4px; }")
        self.set_caption("")
        self._motion: np.ndarray | None = None  # (T, 17, 3) display frame
        self._live_trail: list[np.ndarray] = []
        self.current_index: int | None = None

    def set_caption(self, text: str) -> None:
        """Legend (left/right colours, trail) plus `text` (e.g. the coordinate frame), top-left of the view."""
        left = "#{:02x}{:02x}{:02x}".format(*LEFT_RGB)
        right = "#{:02x}{:02x}{:02x}".format(*RIGHT_RGB)
        trail = "#{:02x}{:02x}{:02x}".format(*TRAIL_RGB)
        self.legend.setText(f"<span style='color:{left}'>&#9632; left</span> &nbsp; "
                            f"<span style='color:{right}'>&#9632; right</span> &nbsp; "
                            f"<span style='color:{trail}'>&#9632; root trail</span>"
                            + (f"<br>{text}" if text else ""))
        self.legend.adjustSize()
        self.legend.move(8, 8)

    # ------------------------------------------------------------------------------------------ data

    def set_motion(self, joints: np.ndarray | None, frame: str = "camera") -> None:
        """Whole sequence; floor = lowest joint over the sequence (0 for world frames)."""
        self._live_trail = []
        if joints is None:
            self._motion = None
            for item in (self.trail, self.bones, self.joints):
                item.setVisible(False)
            return
        display = to_display(np.asarray(joints), frame)
        self.set_caption({"camera": "camera frame (floor = lowest joint)", "world_y_up": "world frame, metres",
                          "world_z_up": "world frame, metres"}.get(frame, frame))
        if not frame.startswith("world"):
            display[..., 2] -= np.nanmin(display[..., 2])
        self._motion = display
        self.show_frame(0)

    @property
    def frame_count(self) -> int:
        return 0 if self._motion is None else len(self._motion)

    def show_frame(self, index: int) -> None:
        if self._motion is None or len(self._motion) == 0:
            return
        index = int(np.clip(index, 0, len(self._motion) - 1))
        self.current_index = index
        roots = self._motion[: index + 1, H36M_ROOT]
        self._draw(self._motion[index], roots)

    def show_pose(self, pose: np.ndarray, frame: str = "camera") -> None:
        """A live pose (17, 3) (root-relative camera frame): drawn standing on the grid."""
        if self._motion is not None or not self._live_trail:
            self.set_caption("live, root-relative (no trajectory)")
        self._motion = None
        display = to_display(np.asarray(pose)[None], frame)[0]
        display[:, 2] -= np.nanmin(display[:, 2])
        self._live_trail = [display[H36M_ROOT]]  # root-relative: the root does not travel, so no trail
        self._draw(display, np.array(self._live_trail))

    def _draw(self, pose: np.ndarray, roots: np.ndarray) -> None:
        if np.isnan(pose).any():
            return
        self.bones.setData(pos=pose[_BONES.reshape(-1)])
        self.joints.setData(pos=pose)
        self.bones.setVisible(True)
        self.joints.setVisible(True)
        roots = roots[~np.isnan(roots).any(axis=1)]
        if self.show_trail and len(roots) >= 2:
            ground = roots.copy()
            ground[:, 2] = 0.01
            self.trail.setData(pos=ground)
            self.trail.setVisible(True)
        else:
            self.trail.setVisible(False)
        if self.follow_root:
            root = pose[H36M_ROOT]
            self.view.opts["center"] = QtGui.QVector3D(float(root[0]), float(root[1]), float(root[2]) * 0.9)
            self.grid.resetTransform()
            self.grid.translate(round(float(root[0]) * 2) / 2, round(float(root[1]) * 2) / 2, 0)
        self.view.update()

    def grab_rgb(self) -> np.ndarray:
        """(H, W, 3) uint8 RGB of the rendered view (for tests and screenshots)."""
        image = self.view.grabFramebuffer().convertToFormat(QtGui.QImage.Format_RGB888)
        if image.isNull():
            return np.zeros((0, 0, 3), np.uint8)
        ptr = image.constBits()
        ptr.setsize(image.byteCount())
        return np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())[:, : 3 * image.width()] \
            .reshape(image.height(), image.width(), 3).copy()
