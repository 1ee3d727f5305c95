"""Smoothing, foot contact and foot locking, constant bone lengths, and the pipeline's one `postprocess` call."""

from __future__ import annotations

import numpy as np
import pytest

from motion import (
    Motion,
    OneEuroFilter,
    constant_bone_lengths,
    detect_foot_contacts,
    foot_skating,
    lock_feet,
    postprocess,
    smooth,
    to_world,
)
from motion.smoothing import one_euro
from pstmo.cameras import project_to_2d, world_to_camera
from pstmo.errors import InputError
from pstmo.metrics import acceleration_error, mpjpe, mpjve
from pstmo.skeleton import bone_lengths
from tracks.track import Track2D


@pytest.fixture
def walking_camera(h36m_3d, h36m_cameras):
    """S11 Walking, camera 1, 300 frames at 50 fps: (camera-frame joints, camera)."""
    camera = h36m_cameras["S11"][1]
    return world_to_camera(h36m_3d["S11"]["Walking"][:300], camera), camera


@pytest.mark.parametrize("method", ["one_euro", "savgol", "butterworth"])
def test_smoothing_noisy_real_motion_cuts_velocity_and_acceleration_error_without_hurting_mpjpe(walking_camera,
                                                                                              method):
    truth, _ = walking_camera
    truth = truth - truth[:, :1]
    noisy = truth + np.random.default_rng(3).normal(0, 0.01, truth.shape)
    smoothed = smooth(Motion(noisy, fps=50.0), method).joints
    assert mpjve(smoothed, truth) < 0.6 * mpjve(noisy, truth)
    assert acceleration_error(smoothed, truth) < 0.3 * acceleration_error(noisy, truth)
    assert mpjpe(smoothed, truth) < mpjpe(noisy, truth) + 0.001


@pytest.mark.parametrize("method", ["savgol", "butterworth"])
def test_offline_smoothing_of_clean_root_relative_motion_moves_joints_by_less_than_a_millimetre(walking_camera,
                                                                                                method):
    truth, _ = walking_camera
    truth = truth - truth[:, :1]
    assert mpjpe(smooth(Motion(truth, fps=50.0), method).joints, truth) < 0.001


def test_streaming_one_euro_filter_matches_the_offline_one_and_passes_nan_through():
    values = np.cumsum(np.random.default_rng(0).normal(0, 0.01, (50, 17, 3)), axis=0)
    live = OneEuroFilter(fps=30.0)
    streamed = np.stack([live(frame) for frame in values])
    assert np.allclose(streamed, one_euro(values, 30.0))
    gap = values[20].copy()
    gap[4] = np.nan
    out = live(gap)
    assert np.isnan(out[4]).all() and np.isfinite(np.delete(out, 4, axis=0)).all()


@pytest.mark.parametrize("frames,window,polyorder", [(600, 15, 4), (16, 15, 4), (15, 15, 4), (100, 5, 2), (300, 31, 3)])
def test_our_savitzky_golay_filter_equals_scipys_with_interpolated_edges(frames, window, polyorder):
    from scipy.signal import savgol_filter as scipy_savgol

    from motion.smoothing import savgol_filter

    walk = np.cumsum(np.random.default_rng(frames).normal(size=(frames, 17, 3)), axis=0) * 0.01 + 1.0
    expected = scipy_savgol(walk, window, polyorder, axis=0, mode="interp")
    np.testing.assert_allclose(savgol_filter(walk, window, polyorder), expected, rtol=0, atol=1e-12)


def test_unknown_smoothing_method_or_parameter_is_an_input_error():
    motion = Motion(np.zeros((30, 17, 3)), fps=30.0)
    with pytest.raises(InputError, match="unknown smoothing"):
        smooth(motion, "kalman")
    with pytest.raises(InputError, match="no parameter"):
        smooth(motion, "savgol", cutoff_hz=3.0)


def test_feet_are_in_contact_about_half_the_time_while_walking_and_locking_stops_their_sliding(h36m_3d):
    world = h36m_3d["S9"]["Walking"][:500]
    motion = Motion(world, fps=50.0, frame="world_z_up", root_relative=False)
    noisy = Motion(world + np.random.default_rng(1).normal(0, 0.005, world.shape), fps=50.0, frame="world_z_up",
                   root_relative=False)
    contacts = detect_foot_contacts(motion)
    assert 0.3 < contacts.mean() < 0.8
    assert contacts[:, 0].sum() > 50 and contacts[:, 1].sum() > 50
    locked = lock_feet(noisy, contacts)
    assert foot_skating(locked, contacts) < 0.3 * foot_skating(noisy, contacts)
    assert np.allclose(bone_lengths(locked.joints), bone_lengths(noisy.joints), atol=1e-6)  # IK keeps the legs
    assert np.array_equal(locked.joints[:, 7:], noisy.joints[:, 7:])  # upper body untouched


def test_contacts_need_a_world_frame():
    with pytest.raises(InputError, match="world-frame"):
        detect_foot_contacts(Motion(np.zeros((5, 17, 3)), fps=30.0))


def test_constant_bone_lengths_makes_every_frame_use_the_symmetric_median_lengths(walking_camera):
    truth, _ = walking_camera
    stretched = truth * np.random.default_rng(2).uniform(0.95, 1.05, (len(truth), 1, 1))
    fixed = constant_bone_lengths(Motion(stretched, fps=50.0, frame="camera", root_relative=False))
    lengths = bone_lengths(fixed.joints)
    assert np.ptp(lengths, axis=0).max() < 1e-9
    assert np.allclose(lengths[0, [0, 1, 2]], lengths[0, [3, 4, 5]])  # right leg == left leg
    assert np.allclose(fixed.joints[:, 0], stretched[:, 0])


def test_postprocess_turns_lifter_output_and_its_track_into_a_walking_motion_on_the_floor(walking_camera):
    truth, camera = walking_camera
    pixels = project_to_2d(truth, camera)
    track = Track2D(pixels, np.ones(pixels.shape[:2]), (camera.res_w, camera.res_h), 50.0, source="walk.mp4",
                    detector="ground truth")
    motion = postprocess(truth - truth[:, :1], track, focal_length_px=float(camera.f[0]), foot_lock=True,
                         constant_bones=True)
    assert motion.frame == "world_y_up" and not motion.root_relative
    assert motion.contacts.shape == (300, 2) and motion.contacts.any()
    assert motion.metadata["source_video"] == "walk.mp4" and motion.metadata["root_trajectory"] == "estimated"
    reference = to_world(Motion(truth, fps=50.0, frame="camera", root_relative=False))
    travelled = np.linalg.norm(motion.joints[-1, 0, [0, 2]] - motion.joints[0, 0, [0, 2]])
    true_travel = np.linalg.norm(reference.joints[-1, 0, [0, 2]] - reference.joints[0, 0, [0, 2]])
    assert travelled == pytest.approx(true_travel, rel=0.15)
    assert abs(np.median(motion.joints[:, [3, 6], 1]) - np.median(reference.joints[:, [3, 6], 1])) < 0.05


def test_postprocess_without_a_track_needs_fps_and_keeps_the_pose_root_relative_on_the_floor():
    pose = np.zeros((10, 17, 3))
    pose[:, 3, 1] = pose[:, 6, 1] = 0.9  # ankles 0.9 m below the pelvis (camera y points down)
    with pytest.raises(InputError, match="fps"):
        postprocess(pose, None)
    motion = postprocess(pose, None, fps=25.0, smoothing=None)
    assert motion.fps == 25.0 and motion.joints[:, 0, 1] == pytest.approx(0.95)
