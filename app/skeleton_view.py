"""`SkeletonView`: the 3D skeleton in a pyqtgraph `GLViewWidget` — left/right colours, ground grid, orbit and
zoom (mouse; the camera stays above the floor), Reset view, optional follow-the-root camera and a trail of the
root trajectory. Each new motion is framed so the whole person (or, without Follow root, their whole path)
is in view. A multi-person result draws everyone else beside the selected person, each labelled with their
tracker id in their colour of the video overlay (`app.colors.person_rgb`); a click on a skeleton selects it
(`personClicked`)."""

from __future__ import annotations

import numpy as np
import pyqtgraph.opengl as gl
from PyQt5 import QtCore, QtGui, QtWidgets

from app.colors import CENTRE_RGB, LEFT_RGB, RIGHT_RGB, TRAIL_RGB, bone_colors_float, person_rgb
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
    QtWidgets.QApplication.setAttribute(QtCore.Qt.AA_ShareOpenGLContexts)
    QtGui.QSurfaceFormat.setDefaultFormat(gl_surface_format())


LIVE_SPACING_M = 1.0
"""Live mode (root-relative poses): the people followed stand this far apart, in the order of their ids."""
MIN_ELEVATION = 3.0
"""Degrees above the floor: the camera never goes below the ground grid."""
MAX_ELEVATION = 80.0
"""Degrees: at most a steep top view, never straight overhead (where left and right get confusing)."""
ORBIT_DEGREES_PER_PIXEL = 0.4
DISTANCE_RANGE = (0.6, 40.0)
"""Metres from the camera to the point it looks at (wheel zoom is clamped to this)."""
HOME_ELEVATION, HOME_AZIMUTH = 12.0, -75.0
FILL = 0.6
"""Share of the view the subject fills after framing."""
EMPTY_CAPTION = "The 3D pose appears here when a video is processed"
HEAD = 10
LABEL_ABOVE_M = 0.25
"""The id label floats this far above a person's head."""
CLICK_PX = 40.0
"""A click selects the person with a joint drawn within this many pixels of it (the nearest one)."""
CLICK_MOVE_PX = 4
"""A press and release further apart than this is an orbit drag, not a click."""


class OrbitView(gl.GLViewWidget):
    """A `GLViewWidget` whose orbit is gentler (0.4 degrees per pixel) and clamped between `MIN_ELEVATION` and
    `MAX_ELEVATION`, whose zoom is clamped to `DISTANCE_RANGE`, and which resets on a double click."""

    doubleClicked = QtCore.pyqtSignal()  # noqa: N815 (Qt signal name)
    clicked = QtCore.pyqtSignal(float, float)  # a click that was no drag, widget pixels
    painted = QtCore.pyqtSignal()  # after each render (the camera may have moved)

    def paintGL(self, *args, **kwargs) -> None:  # noqa: N802 (Qt name)
        super().paintGL(*args, **kwargs)
        self.painted.emit()

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self._press = event.pos()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt name)
        press = getattr(self, "_press", None)
        if press is not None and event.button() == QtCore.Qt.LeftButton and \
                (event.pos() - press).manhattanLength() <= CLICK_MOVE_PX:
            self.clicked.emit(float(event.pos().x()), float(event.pos().y()))
        self._press = None
        super().mouseReleaseEvent(event)

    def to_screen(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) view-frame points -> (N, 2) widget pixels (NaN behind the camera)."""
        w, h = self.width(), self.height()
        matrix = self.projectionMatrix((0, 0, w, h), (0, 0, w, h)) * self.viewMatrix()
        m = np.array(matrix.data(), dtype=np.float64).reshape(4, 4).T  # Qt stores column-major
        homogeneous = np.concatenate([points, np.ones((len(points), 1))], axis=1) @ m.T
        with np.errstate(divide="ignore", invalid="ignore"):
            ndc = homogeneous[:, :2] / homogeneous[:, 3:4]
        ndc[homogeneous[:, 3] <= 0] = np.nan
        return np.stack([(ndc[:, 0] + 1) / 2 * w, (1 - ndc[:, 1]) / 2 * h], axis=1)

    def orbit(self, azim: float, elev: float) -> None:
        self.opts["azimuth"] += azim * ORBIT_DEGREES_PER_PIXEL
        self.opts["elevation"] = float(np.clip(self.opts["elevation"] + elev * ORBIT_DEGREES_PER_PIXEL,
                                               MIN_ELEVATION, MAX_ELEVATION))
        self.update()

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt name)
        delta = event.angleDelta().y() or event.angleDelta().x()
        self.opts["distance"] = float(np.clip(self.opts["distance"] * 0.999 ** delta, *DISTANCE_RANGE))
        self.update()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.doubleClicked.emit()


def id_tag(parent: QtWidgets.QWidget, person_id: int) -> QtWidgets.QLabel:
    """A `#id` tag as on the video overlay (`app.video_view`): bold black text on the person's colour. A label
    widget over the 3D view (clicks pass through to it), not pyqtgraph's GLTextItem: that one paints with a
    QPainter on the OpenGL widget, which `QWidget.grab` leaves out and which crashes Qt when the view is deleted."""
    tag = QtWidgets.QLabel(f"#{person_id}", parent)
    tag.setStyleSheet("QLabel {{ background: #{:02x}{:02x}{:02x}; color: black; font-weight: bold; "
                      "padding: 0px 4px; border-radius: 3px; }}".format(*person_rgb(person_id)))
    tag.setAttribute(QtCore.Qt.WA_TransparentForMouseEvents)
    tag.adjustSize()
    tag.hide()
    return tag


class Figure:
    """The 3D items of one more person: bones (left/right colours), joints in their colour, and their id tag
    (placed over the view at `anchor`, a point above their head, by `SkeletonView._place_tags`)."""

    def __init__(self, view: gl.GLViewWidget, person_id: int) -> None:
        colour = tuple(c / 255 for c in person_rgb(person_id))
        self.bones = gl.GLLinePlotItem(pos=np.zeros((32, 3)), color=np.repeat(bone_colors_float(), 2, axis=0),
                                       width=3, mode="lines", antialias=False)
        self.joints = gl.GLScatterPlotItem(pos=np.zeros((17, 3)), color=colour + (1,), size=7, pxMode=True)
        for item in (self.bones, self.joints):
            item.setVisible(False)
            view.addItem(item)
        self.label = id_tag(view, person_id)
        self.anchor: np.ndarray | None = None

    def draw(self, pose: np.ndarray | None, wide: bool = False) -> None:
        """`pose` (17, 3) view frame; None or NaN hides the person (not in view at this frame)."""
        shown = pose is not None and not np.isnan(pose).any()
        if shown:
            self.bones.setData(pos=pose[_BONES.reshape(-1)], width=5 if wide else 3)
            self.joints.setData(pos=pose)
            self.anchor = pose[HEAD] + np.array([0.0, 0.0, LABEL_ABOVE_M])
        for item in (self.bones, self.joints):
            item.setVisible(shown)
        self.label.setHidden(not shown)

    def remove(self, view: gl.GLViewWidget) -> None:
        for item in (self.bones, self.joints):
            view.removeItem(item)
        self.label.deleteLater()


class SkeletonView(QtWidgets.QWidget):
    """Shows poses from `set_motion(joints (T, 17, 3), frame)` one frame at a time (`show_frame(i)`), or a
    live pose (`show_pose(pose (17, 3), frame)`). With `people` (everyone else of a multi-person result, or
    of live mode) they are drawn too, each labelled with their id; `personClicked(id)` when one is clicked."""

    personClicked = QtCore.pyqtSignal(int)  # noqa: N815 (Qt signal name)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.follow_root = True
        self.show_trail = True
        self.view = OrbitView()
        self.view.setFormat(gl_surface_format())
        self.view.setBackgroundColor((28, 30, 36))
        self.view.setToolTip("Drag to orbit, wheel to zoom, Ctrl+drag to pan; double-click or Ctrl+0 resets the view")
        self.view.doubleClicked.connect(self.reset_view)
        self.view.clicked.connect(self._on_click)
        self.view.painted.connect(self._place_tags, QtCore.Qt.QueuedConnection)  # not while GL paints
        self.view.setCameraPosition(distance=2.8, elevation=HOME_ELEVATION, azimuth=HOME_AZIMUTH)
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
        self._caption = ""
        self._legend_key: tuple | None = None
        self._motion: np.ndarray | None = None  # (T, 17, 3) display frame
        self._live_trail: list[np.ndarray] = []
        self.current_index: int | None = None
        self.current_pose: np.ndarray | None = None  # (17, 3) display frame, the drawn live pose
        self.selected: int | None = None  # the id of the main skeleton (labelled when others are drawn)
        self._people: dict[int, np.ndarray] = {}  # everyone else: id -> (T, 17, 3) display frame, NaN unseen
        self._figures: dict[int, Figure] = {}  # id -> their items (the selected person's label included)
        self.set_caption(EMPTY_CAPTION)

    def set_caption(self, text: str) -> None:
        """`text` (e.g. the coordinate frame) under the legend, top-left of the view."""
        self._caption = text
        self._update_legend()

    @property
    def legend_entries(self) -> list[str]:
        """What the legend lists: the sides, and the root trail while it is drawn."""
        entries = ["left", "right"] if self.bones.visible() else []
        return entries + (["root trail"] if self.trail.visible() else [])

    def _update_legend(self) -> None:
        key = (tuple(self.legend_entries), self._caption)
        if key == self._legend_key:
            return
        self._legend_key = key
        colours = {"left": LEFT_RGB, "right": RIGHT_RGB, "root trail": TRAIL_RGB}
        swatches = " &nbsp; ".join("<span style='color:#{:02x}{:02x}{:02x}'>&#9632; {}</span>".format(
            *colours[name], name) for name in self.legend_entries)
        self.legend.setText("<br>".join(part for part in (swatches, self._caption) if part))
        self.legend.setVisible(bool(swatches or self._caption))
        self.legend.adjustSize()
        self.legend.move(8, 8)

    # ---------------------------------------------------------------------------------------- camera

    def reset_view(self) -> None:
        """Home camera angle, framed on the subject: the current pose with Follow root, else the whole path."""
        centre, distance = self._framing()
        self.view.setCameraPosition(pos=centre, distance=distance, elevation=HOME_ELEVATION, azimuth=HOME_AZIMUTH)
        self.view.update()

    def _framing(self) -> tuple[QtGui.QVector3D, float]:
        """(look-at point, camera distance) that fit the subject in about `FILL` of the view: with Follow root
        the person (their hips in the middle, sized by their typical extent over the clip), else the box around
        the whole motion."""
        if self._motion is not None and len(self._motion):
            poses = self._motion
        elif self.current_pose is not None:
            poses = self.current_pose[None]
        else:
            return QtGui.QVector3D(0, 0, 0.9), 2.8
        finite = np.isfinite(poses).all(axis=2).all(axis=1)
        if not finite.any():
            return QtGui.QVector3D(0, 0, 0.9), 2.8
        poses = poses[finite]
        follow = self.follow_root and self.current_index is not None and self._motion is not None
        if follow or self._motion is None:
            extent = poses.max(axis=1) - poses.min(axis=1)  # (T, 3) each pose's own box
            height = float(np.percentile(extent[:, 2], 95))
            width = float(np.percentile(np.hypot(extent[:, 0], extent[:, 1]), 95))
            pose = self._motion[self.current_index] if follow else poses[-1]
            root = pose[H36M_ROOT] if np.isfinite(pose[H36M_ROOT]).all() else poses[-1, H36M_ROOT]
            centre = QtGui.QVector3D(float(root[0]), float(root[1]), float(root[2]))
            track = self._motion if self._motion is not None else poses[-1:]  # live: the pose shown now
            if self._people:  # everyone in view around the followed person, whenever both are seen
                gaps = [np.hypot(*(p[:len(track), H36M_ROOT, :2] - track[:len(p), H36M_ROOT, :2]).T)
                        for p in self._people.values()]
                gaps = np.concatenate(gaps) if gaps else np.zeros(0)
                gaps = gaps[np.isfinite(gaps)]
                if len(gaps):  # their usual distance (the median): a moment far apart does not shrink everyone
                    width = max(width, 2 * float(np.median(gaps)) + width)
        else:
            points = np.concatenate([poses.reshape(-1, 3)] + [p.reshape(-1, 3) for p in self._people.values()])
            points = points[np.isfinite(points).all(axis=1)]
            low, high = points.min(axis=0), points.max(axis=0)
            height = float(high[2] - min(low[2], 0.0))
            width = float(np.hypot(*(high[:2] - low[:2])))
            middle = (low + high) / 2
            centre = QtGui.QVector3D(float(middle[0]), float(middle[1]), (float(high[2]) + min(float(low[2]), 0)) / 2)
        height, width = max(height, 1.0), max(width, 0.6)
        aspect = self.view.height() / max(self.view.width(), 1)
        view_width = 2 * np.tan(np.radians(self.view.opts["fov"] / 2))  # per metre of distance
        distance = max(height / (FILL * view_width * aspect), width / (FILL * view_width))
        return centre, float(np.clip(distance, 1.5, DISTANCE_RANGE[1]))

    # ------------------------------------------------------------------------------------------ data

    def set_motion(self, joints: np.ndarray | None, frame: str = "camera", index: int = 0,
                   people: dict[int, np.ndarray] | None = None, selected: int | None = None) -> None:
        """Whole sequence, shown at frame `index` and framed anew (`reset_view`); floor = lowest joint over the
        sequence (0 for world frames). `people`: everyone else, {id: (T, 17, 3) joints in `frame` on the same
        frames, NaN where they are not in view}; `selected`: the id of `joints` (then labelled as well)."""
        self._live_trail = []
        self.current_pose = None
        self._set_people({}, None)
        if joints is None:
            self._motion = None
            self.current_index = None
            for item in (self.trail, self.bones, self.joints):
                item.setVisible(False)
            self.set_caption(EMPTY_CAPTION)
            return
        display = to_display(np.asarray(joints), frame)
        others = {int(pid): to_display(np.asarray(other), frame) for pid, other in (people or {}).items()}
        self.set_caption({"camera": "camera frame (floor = lowest joint)", "world_y_up": "world frame, metres",
                          "world_z_up": "world frame, metres"}.get(frame, frame))
        if not frame.startswith("world"):
            floor = np.nanmin([np.nanmin(d[..., 2]) for d in [display, *others.values()] if np.isfinite(d).any()])
            display[..., 2] -= floor
            for other in others.values():
                other[..., 2] -= floor
        self._set_people(others, selected)
        self._motion = display
        self.current_index = int(np.clip(index, 0, len(display) - 1)) if len(display) else None
        self.reset_view()
        self.show_frame(index)

    def set_follow_root(self, follow: bool) -> None:
        """Follow root on: the camera moves with the person. Off: it is framed once on the whole path."""
        self.follow_root = bool(follow)
        self.reset_view()
        if self.current_index is not None:
            self.show_frame(self.current_index)

    def set_show_trail(self, show: bool) -> None:
        self.show_trail = bool(show)
        if self.current_index is not None:
            self.show_frame(self.current_index)

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
        self._draw_people(index)

    def show_pose(self, pose: np.ndarray, frame: str = "camera", people: dict[int, np.ndarray] | None = None,
                  selected: int | None = None, roots: dict[int, np.ndarray] | None = None) -> None:
        """A live pose (17, 3) (root-relative camera frame): drawn standing on the grid. `people`: everyone else
        followed live, {id: (17, 3) root-relative}, each standing on the grid where they are seen: at their root
        position relative to the selected person's (`roots`, {id: (3,)} in the same frame, `LiveUpdate.roots`),
        or without roots beside the selected person in the order of their ids, `LIVE_SPACING_M` apart."""
        first = self._motion is not None or not self._live_trail
        newcomers = bool(set(people or {}) - set(self._people)) and not first
        self._motion = None
        self.current_index = None
        display = to_display(np.asarray(pose)[None], frame)[0]
        display[:, 2] -= np.nanmin(display[:, 2])
        self.current_pose = display
        self._live_trail = [display[H36M_ROOT]]  # root-relative: the root does not travel, so no trail
        if first:
            self.set_caption("live, root-relative (no trajectory)")
            self.reset_view()
        others = {}
        order = sorted({*(people or {}), *([selected] if selected is not None else [])})
        for pid, other in (people or {}).items():
            placed = to_display(np.asarray(other)[None], frame)[0]
            placed[:, 2] -= np.nanmin(placed[:, 2])
            offset = np.full(3, np.nan)
            if roots and pid in roots and selected in roots:
                offset = to_display((np.asarray(roots[pid]) - np.asarray(roots[selected]))[None], frame)[0]
            if not np.isfinite(offset[:2]).all():  # no roots: beside the selected person in the order of ids
                offset = [(order.index(pid) - (order.index(selected) if selected in order else 0)) * LIVE_SPACING_M,
                          0.0]
            placed[:, :2] += np.asarray(offset[:2]) - placed[H36M_ROOT, :2] + display[H36M_ROOT, :2]
            others[int(pid)] = placed[None]
        self._set_people(others, selected if people else None)
        if newcomers:  # someone came into the scene: keep the angle, widen the framing to take them in
            self.set_caption("live, everyone placed as the camera sees them (root-relative poses)"
                             if roots and len(roots) > 1 else "live, root-relative (no trajectory)")
            centre, distance = self._framing()
            self.view.setCameraPosition(pos=centre, distance=distance)
        self._draw(display, np.array(self._live_trail))
        self._draw_people(0)

    # -------------------------------------------------------------------------------------- people

    def _set_people(self, people: dict[int, np.ndarray], selected: int | None) -> None:
        """Everyone else ({id: (T, 17, 3) display frame}) and the selected id; figures made or removed to match."""
        self._people = people
        self.selected = selected
        wanted = set(people) | ({selected} if people and selected is not None else set())
        for pid in [p for p in self._figures if p not in wanted]:
            self._figures.pop(pid).remove(self.view)
        for pid in wanted:
            if pid not in self._figures:
                self._figures[pid] = Figure(self.view, pid)

    @property
    def people_shown(self) -> list[int]:
        """Ids of the people drawn now, with a label: the selected one first (empty for one person alone)."""
        drawn = [pid for pid, figure in self._figures.items() if not figure.label.isHidden()]
        return sorted(drawn, key=lambda pid: (pid != self.selected, pid))

    def _draw_people(self, index: int) -> None:
        for pid, figure in self._figures.items():
            if pid == self.selected:  # the main skeleton is drawn by `_draw`; only its label here
                pose = self.current_pose if self._motion is None else self._motion[index]
                figure.draw(pose)
                figure.bones.setVisible(False)
                figure.joints.setVisible(False)
            else:
                poses = self._people[pid]
                figure.draw(poses[min(index, len(poses) - 1)] if len(poses) else None)
        self._place_tags()

    def _place_tags(self) -> None:
        """Each shown id tag centred above its person's head, as the camera sees them now."""
        for figure in self._figures.values():
            if figure.label.isHidden() or figure.anchor is None:
                continue
            x, y = self.view.to_screen(np.asarray(figure.anchor, dtype=np.float64)[None])[0]
            if np.isfinite([x, y]).all():
                spot = QtCore.QPoint(int(round(x - figure.label.width() / 2)), int(round(y - figure.label.height())))
            else:  # no place on screen (behind the camera, or no pose): the tag waits out of sight
                spot = QtCore.QPoint(-10 * figure.label.width(), -10 * figure.label.height())
            if figure.label.pos() != spot:  # moving a child of the GL view repaints it: only when it changed
                figure.label.move(spot)

    def poses_on_screen(self) -> dict[int, np.ndarray]:
        """{id: (17, 2) widget pixels} of everyone drawn now (the selected person included)."""
        out = {}
        for pid in self.people_shown:
            if pid == self.selected:
                pose = self.current_pose if self._motion is None else self._motion[self.current_index or 0]
            else:
                poses = self._people[pid]
                pose = poses[min(self.current_index or 0, len(poses) - 1)]
            out[pid] = self.view.to_screen(np.asarray(pose, dtype=np.float64))
        return out

    def person_at(self, x: float, y: float) -> int | None:
        """The id of the person drawn nearest widget pixel (x, y) (a joint within `CLICK_PX`); None if nobody."""
        best, best_distance = None, CLICK_PX
        for pid, points in self.poses_on_screen().items():
            distance = np.nanmin(np.hypot(points[:, 0] - x, points[:, 1] - y), initial=np.inf)
            if distance < best_distance:
                best, best_distance = pid, float(distance)
        return best

    def _on_click(self, x: float, y: float) -> None:
        person = self.person_at(x, y)
        if person is not None:
            self.personClicked.emit(person)

    def _draw(self, pose: np.ndarray, roots: np.ndarray) -> None:
        if np.isnan(pose).any():  # the selected person is not in view at this frame (multi-person results)
            for item in (self.trail, self.bones, self.joints):
                item.setVisible(False)
            self.view.update()
            return
        self.bones.setData(pos=pose[_BONES.reshape(-1)])
        self.joints.setData(pos=pose)
        self.bones.setVisible(True)
        self.joints.setVisible(True)
        roots = roots[~np.isnan(roots).any(axis=1)]
        travelled = len(roots) >= 2 and float(np.ptp(roots[:, :2], axis=0).max()) > 0.01
        if self.show_trail and travelled:
            ground = roots.copy()
            ground[:, 2] = 0.01
            self.trail.setData(pos=ground)
            self.trail.setVisible(True)
        else:
            self.trail.setVisible(False)
        if self.follow_root:
            root = pose[H36M_ROOT]
            self.view.opts["center"] = QtGui.QVector3D(float(root[0]), float(root[1]), float(root[2]))
            self._move_grid(root)
        elif self._motion is not None:
            self._move_grid(np.asarray([self.view.opts["center"].x(), self.view.opts["center"].y(), 0.0]))
        self._update_legend()
        self.view.update()

    def _move_grid(self, point: np.ndarray) -> None:
        """Keeps the 10 m grid under `point` (snapped to its 0.5 m lines, so it does not slide)."""
        self.grid.resetTransform()
        self.grid.translate(round(float(point[0]) * 2) / 2, round(float(point[1]) * 2) / 2, 0)

    def grab_rgb(self) -> np.ndarray:
        """(H, W, 3) uint8 RGB of the rendered view (for tests and screenshots)."""
        image = self.view.grabFramebuffer().convertToFormat(QtGui.QImage.Format_RGB888)
        if image.isNull():
            return np.zeros((0, 0, 3), np.uint8)
        ptr = image.constBits()
        ptr.setsize(image.byteCount())
        return np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())[:, : 3 * image.width()] \
            .reshape(image.height(), image.width(), 3).copy()
