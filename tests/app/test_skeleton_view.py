"""The 3D view shows every coordinate frame upright (Z up) without mirroring it."""

from __future__ import annotations

import numpy as np
import pytest

from app.skeleton_view import to_display


@pytest.mark.parametrize("frame,up", [("camera", np.array([0, -1, 0])), ("world_y_up", np.array([0, 1, 0])),
                                      ("world_z_up", np.array([0, 0, 1]))])
def test_each_frame_maps_its_up_direction_to_z_and_keeps_handedness(frame, up):
    basis = np.eye(3)[None]  # (1, 3, 3): x, y, z unit vectors as three "joints"
    shown = to_display(np.concatenate([basis, np.zeros((1, 14, 3))], axis=1), frame)[0, :3]
    assert np.linalg.det(shown) == pytest.approx(1.0), "a rotation, not a mirror"
    np.testing.assert_allclose(shown.T @ up, [0, 0, 1], atol=1e-6)


def test_set_motion_then_show_frame_draws_that_frame(qtbot):
    from app.skeleton_view import SkeletonView

    view = SkeletonView()
    qtbot.addWidget(view)
    joints = np.random.default_rng(0).normal(size=(5, 17, 3))
    view.set_motion(joints, "world_z_up")
    view.show_frame(3)
    assert view.current_index == 3 and view.frame_count == 5
    assert view.bones.visible() and view.trail.visible()
    view.show_frame(99)
    assert view.current_index == 4


def walking(frames: int = 30, metres: float = 6.0) -> np.ndarray:
    """A standing skeleton (1.7 m, world Z up) whose root walks `metres` along x."""
    rng = np.random.default_rng(1)
    pose = rng.uniform(-0.2, 0.2, size=(17, 3))
    pose[:, 2] = np.linspace(0.0, 1.7, 17)
    path = np.linspace(0.0, metres, frames)
    joints = np.repeat(pose[None], frames, axis=0)
    joints[..., 0] += path[:, None]
    return joints


@pytest.fixture
def view(qtbot):
    from app.skeleton_view import SkeletonView

    widget = SkeletonView()
    qtbot.addWidget(widget)
    widget.resize(700, 600)
    return widget


def test_orbiting_never_goes_under_the_floor_or_straight_overhead(view):
    from app.skeleton_view import MAX_ELEVATION, MIN_ELEVATION

    view.set_motion(walking(), "world_z_up")
    view.view.orbit(0, -1000)
    assert view.view.opts["elevation"] == MIN_ELEVATION > 0
    view.view.orbit(0, 1000)
    assert view.view.opts["elevation"] == MAX_ELEVATION < 90
    start = view.view.opts["elevation"]
    view.view.orbit(0, -10)  # a small drag is a small turn
    assert start - view.view.opts["elevation"] == pytest.approx(4.0)


def test_reset_view_and_each_new_motion_bring_back_the_home_angle(view):
    from app.skeleton_view import HOME_AZIMUTH, HOME_ELEVATION

    view.set_motion(walking(), "world_z_up")
    view.view.orbit(120, 60)
    view.reset_view()
    assert (view.view.opts["elevation"], view.view.opts["azimuth"]) == (HOME_ELEVATION, HOME_AZIMUTH)
    view.view.orbit(120, 60)
    view.set_motion(walking(), "world_z_up")
    assert (view.view.opts["elevation"], view.view.opts["azimuth"]) == (HOME_ELEVATION, HOME_AZIMUTH)


def test_zoom_is_limited(view):
    from PyQt5 import QtCore, QtGui

    from app.skeleton_view import DISTANCE_RANGE

    for delta in (100_000, -100_000):
        event = QtGui.QWheelEvent(QtCore.QPointF(5, 5), QtCore.QPointF(5, 5), QtCore.QPoint(0, 0),
                                  QtCore.QPoint(0, delta), QtCore.Qt.NoButton, QtCore.Qt.NoModifier,
                                  QtCore.Qt.NoScrollPhase, False)
        view.view.wheelEvent(event)
        assert DISTANCE_RANGE[0] <= view.view.opts["distance"] <= DISTANCE_RANGE[1]


def test_without_follow_root_the_whole_path_is_framed(view):
    view.set_motion(walking(metres=6.0), "world_z_up")
    follow = view.view.opts["distance"]
    view.set_follow_root(False)
    centre = view.view.opts["center"]
    assert centre.x() == pytest.approx(3.0, abs=0.3), "looks at the middle of the 6 m path"
    assert view.view.opts["distance"] > follow + 2, "far enough to see all of it"
    view.show_frame(29)
    assert view.view.opts["center"].x() == pytest.approx(centre.x()), "the camera stays put"
    view.set_follow_root(True)
    view.show_frame(29)
    assert view.view.opts["center"].x() == pytest.approx(walking()[29, 0, 0], abs=1e-3)


def test_the_legend_lists_the_root_trail_only_while_it_is_drawn(view):
    view.set_motion(walking(), "world_z_up")
    view.show_frame(10)
    assert view.legend_entries == ["left", "right", "root trail"] and "root trail" in view.legend.text()
    view.set_show_trail(False)
    assert view.legend_entries == ["left", "right"] and "root trail" not in view.legend.text()
    view.set_show_trail(True)
    view.show_pose(walking()[0] - walking()[0, 0], "camera")  # live: root-relative, no trail
    assert "root trail" not in view.legend.text()
