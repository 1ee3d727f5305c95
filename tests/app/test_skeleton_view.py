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
