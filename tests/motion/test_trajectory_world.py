"""Root trajectory from one camera and the world frame, on small real slices of Human3.6M."""

from __future__ import annotations

import numpy as np
import pytest

from motion import Motion, estimate_root_trajectory, guess_focal_length, to_world
from pstmo.cameras import project_to_2d, project_to_2d_linear, world_to_camera
from pstmo.errors import InputError


@pytest.fixture
def walking(h36m_3d, h36m_cameras):
    """S9 Walking, camera 0, every 5th frame: (camera-frame joints, camera)."""
    camera = h36m_cameras["S9"][0]
    return world_to_camera(h36m_3d["S9"]["Walking"][::5], camera), camera


def test_root_is_recovered_exactly_from_pinhole_projections(walking):
    joints, camera = walking
    pixels = project_to_2d_linear(joints, camera)
    root = estimate_root_trajectory(joints - joints[:, :1], pixels, (camera.res_w, camera.res_h),
                                    tuple(camera.f), principal_point=tuple(camera.c))
    assert np.abs(root - joints[:, 0]).max() < 1e-6


def test_root_error_with_lens_distorted_2d_stays_within_a_tenth_of_a_metre(walking):
    joints, camera = walking
    root = estimate_root_trajectory(joints - joints[:, :1], project_to_2d(joints, camera), (camera.res_w, camera.res_h),
                                    tuple(camera.f), principal_point=tuple(camera.c))
    errors = np.linalg.norm(root - joints[:, 0], axis=-1)
    assert errors.mean() < 0.1
    assert np.ptp(root[:, 2]) > 1.0  # the walker really moves in depth, and the estimate follows


def test_guessed_focal_length_keeps_the_2d_fit_and_scales_depth(walking):
    joints, camera = walking
    pixels = project_to_2d_linear(joints, camera)
    root = estimate_root_trajectory(joints - joints[:, :1], pixels, (camera.res_w, camera.res_h),
                                    principal_point=tuple(camera.c))
    ratio = root[:, 2] / joints[:, 0, 2]
    assert guess_focal_length((camera.res_w, camera.res_h)) == 1002
    assert np.allclose(ratio, 1002 / camera.f.mean(), rtol=0.05)


def test_frames_with_missing_keypoints_are_interpolated_and_confidence_zero_joints_ignored(walking):
    joints, camera = walking
    pixels = project_to_2d_linear(joints, camera)
    pixels[10:13] = np.nan
    confidence = np.ones(pixels.shape[:2])
    pixels[20, 3] = [5000.0, 5000.0]  # a wild detection ...
    confidence[20, 3] = 0.0  # ... with zero confidence
    root = estimate_root_trajectory(joints - joints[:, :1], pixels, (camera.res_w, camera.res_h), tuple(camera.f),
                                    confidence=confidence, principal_point=tuple(camera.c))
    assert np.isfinite(root).all()
    assert np.linalg.norm(root[10:13] - joints[10:13, 0], axis=-1).max() < 0.05
    assert np.linalg.norm(root[20] - joints[20, 0]) < 1e-6


def test_root_trajectory_with_no_visible_frame_is_an_input_error():
    with pytest.raises(InputError, match="no frame"):
        estimate_root_trajectory(np.zeros((4, 17, 3)), np.full((4, 17, 2), np.nan), (640, 480))


def test_world_frame_recovers_the_true_up_direction_and_puts_the_floor_under_the_feet(walking, h36m_3d):
    joints, camera = walking
    world = to_world(Motion(joints, fps=10.0, frame="camera", root_relative=False))
    assert world.frame == "world_y_up"
    rotation = np.array(world.metadata["camera_to_world"]["R"])
    true_up_in_camera = camera.R @ np.array([0.0, 0.0, 1.0])
    angle = np.degrees(np.arccos(rotation[1] @ true_up_in_camera))
    assert angle < 3.0
    true_ankle_heights = h36m_3d["S9"]["Walking"][::5][:, [3, 6], 2]
    assert abs(np.median(world.joints[:, [3, 6], 1]) - np.median(true_ankle_heights)) < 0.03
    assert np.allclose(world.joints[0, 0, [0, 2]], 0.0)


def test_z_up_world_has_height_on_z_and_keeps_a_right_handed_frame(walking):
    joints, _ = walking
    y_up = to_world(Motion(joints, fps=10.0, frame="camera", root_relative=False), up="y")
    z_up = to_world(Motion(joints, fps=10.0, frame="camera", root_relative=False), up="z")
    assert np.allclose(z_up.joints[..., 2], y_up.joints[..., 1])
    assert np.allclose(z_up.joints[..., 1], -y_up.joints[..., 2])
    back = to_world(z_up, up="y")
    assert np.allclose(back.joints, y_up.joints, atol=1e-9)


def test_root_relative_motion_stands_on_the_floor_in_the_world_frame(walking):
    joints, _ = walking
    world = to_world(Motion(joints - joints[:, :1], fps=10.0, frame="camera"))
    assert np.allclose(world.joints[:, 0, [0, 2]], 0.0) and world.joints[:, 0, 1].min() > 0.7


def test_one_wild_keypoint_at_full_confidence_hardly_moves_the_root(walking):
    joints, camera = walking
    pixels = project_to_2d_linear(joints, camera)
    pixels[:, 13] += 300.0  # the left wrist detected 300 px off in every frame
    root = estimate_root_trajectory(joints - joints[:, :1], pixels, (camera.res_w, camera.res_h), tuple(camera.f),
                                    principal_point=tuple(camera.c))
    assert np.linalg.norm(root - joints[:, 0], axis=-1).mean() < 0.03


def _on_a_wall(h36m_3d, camera, height: float = 1.4, back: float = 2.0):
    """S9 Walking (on the floor) and S11 Walking moved `back` metres away from the camera and `height` up for its
    first half (on a wall), then on the floor: both as camera-frame joints, every 5th frame."""
    first, second = h36m_3d["S9"]["Walking"][::5], h36m_3d["S11"]["Walking"][::5]
    frames = min(len(first), len(second))
    first, second = first[:frames], second[:frames].copy()
    towards = camera.R[2, :2] / np.linalg.norm(camera.R[2, :2])  # the viewing direction along the floor
    second[:, :, :2] += back * towards
    second[: frames // 2, :, 2] += height
    return world_to_camera(first, camera), world_to_camera(second, camera), first


def test_a_person_standing_on_a_wall_does_not_tilt_the_shared_floor(h36m_3d, h36m_cameras):
    from motion import world_frame
    from motion.world import foot_points

    camera = h36m_cameras["S9"][0]
    walker, climber, walker_world = _on_a_wall(h36m_3d, camera)
    true_up = camera.R @ np.array([0.0, 0.0, 1.0])
    feet = np.concatenate([foot_points(walker), foot_points(climber)])
    one_plane = np.linalg.svd(feet - feet.mean(axis=0))[2][2]  # a least-squares plane through everyone's feet
    tilted = np.degrees(np.arccos(abs(one_plane @ true_up)))
    frame = world_frame([walker, climber])
    angle = np.degrees(np.arccos(frame.rotation[1] @ true_up))
    assert angle < 3.0 and tilted > 15.0  # both levels share one up direction; one plane through all feet tilts
    assert frame.fit.method == "plane" and len(frame.fit.levels) == 2
    assert np.allclose(frame.to_dict()["levels_m"], [0.05, 1.45], atol=0.05)  # the floor and the wall top
    walker_heights = frame.apply(walker)[:, [3, 6], 1].min(axis=1)
    assert abs(np.median(walker_heights) - np.median(walker_world[:, [3, 6], 2].min(axis=1))) < 0.03


def test_one_world_frame_keeps_the_distances_between_people(h36m_3d, h36m_cameras):
    from motion import world_frame

    walker, climber, _ = _on_a_wall(h36m_3d, h36m_cameras["S9"][1])
    frame = world_frame([walker, climber])
    a, b = to_world(Motion(walker, 10.0, "camera", False), frame=frame), to_world(
        Motion(climber, 10.0, "camera", False), frame=frame)
    camera_distance = np.linalg.norm(walker[:, 0] - climber[:, 0], axis=-1)
    assert np.allclose(np.linalg.norm(a.joints[:, 0] - b.joints[:, 0], axis=-1), camera_distance)
    assert np.allclose(a.joints[0, 0, [0, 2]], 0.0)  # the origin: the first person's first root, on the floor
    assert a.metadata["camera_to_world"] == b.metadata["camera_to_world"]


def test_a_world_motion_changes_only_its_axes_between_y_and_z_up(walking):
    joints, _ = walking
    y_up = to_world(Motion(joints, fps=10.0, frame="camera", root_relative=False))
    shifted = Motion(y_up.joints + np.array([3.0, 0.0, -2.0]), 10.0, "world_y_up", False)  # e.g. a second person
    z_up = to_world(shifted, up="z")
    assert np.allclose(z_up.joints[..., 0], shifted.joints[..., 0])
    assert np.allclose(z_up.joints[..., 1], -shifted.joints[..., 2])
