"""Gap filling: short gaps interpolated, the rest held from the nearest seen frame, one rule set for all."""

from __future__ import annotations

import numpy as np
import pytest

from pstmo.gaps import fill_for_lifting, hold_nearest, interpolate_short_gaps, missing_runs


def test_short_gaps_are_interpolated_and_long_ones_left_missing():
    frames = 30
    keypoints = np.tile(np.arange(frames, dtype=np.float32)[:, None, None], (1, 17, 2))
    confidence = np.full((frames, 17), 0.9, dtype=np.float32)
    keypoints[5:8] = np.nan  # 3 frames: filled
    keypoints[15:25] = np.nan  # 10 frames: too long
    filled_kp, filled_conf, filled = interpolate_short_gaps(keypoints, confidence, max_gap=4, min_confidence=0.3)
    assert np.allclose(filled_kp[5:8, :, 0], np.arange(5, 8)[:, None])
    assert filled[5:8].all() and not filled[15:25].any()
    assert np.isnan(filled_kp[15:25]).all()
    assert missing_runs(np.isnan(filled_kp).all(axis=(1, 2))) == [(15, 24)]


def test_low_confidence_joints_keep_their_confidence_and_are_bridged_like_gaps():
    keypoints = np.zeros((10, 17, 2), dtype=np.float32)
    keypoints[:, 3, 0] = np.arange(10) * 2.0
    keypoints[4, 3] = [500.0, 500.0]  # a wild low-confidence guess
    confidence = np.full((10, 17), 0.9, dtype=np.float32)
    confidence[4, 3] = 0.05
    out, out_conf, filled = interpolate_short_gaps(keypoints, confidence, max_gap=2, min_confidence=0.3)
    assert out[4, 3].tolist() == [8.0, 0.0]
    assert out_conf[4, 3] == pytest.approx(0.05)
    assert filled[4, 3] and filled.sum() == 1


def test_missing_frames_hold_the_nearest_valid_frame_and_are_marked():
    keypoints = np.arange(5 * 17 * 2, dtype=np.float32).reshape(5, 17, 2)
    keypoints[[0, 3]] = np.nan
    filled, missing = hold_nearest(keypoints)
    assert missing.tolist() == [True, False, False, True, False]
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(filled[0], keypoints[1])
    np.testing.assert_array_equal(filled[3], keypoints[2])  # ties go to the earlier frame


def test_a_joint_missing_in_some_frames_is_held_without_marking_the_frame_missing():
    keypoints = np.ones((4, 17, 2), dtype=np.float32)
    keypoints[:, 5] = np.arange(4)[:, None]
    keypoints[2, 5] = np.nan
    filled, missing = hold_nearest(keypoints)
    assert not missing.any()
    assert filled[2, 5, 0] in (1.0, 3.0)


def test_a_joint_never_seen_goes_to_the_centre_of_the_others():
    keypoints = np.zeros((3, 17, 2), dtype=np.float32)
    keypoints[:, :, 0] = np.arange(17)
    keypoints[:, 16] = np.nan
    filled, _ = hold_nearest(keypoints)
    np.testing.assert_allclose(filled[:, 16, 0], np.mean(np.arange(16)))


def test_a_track_without_any_keypoint_cannot_be_filled():
    with pytest.raises(ValueError):
        hold_nearest(np.full((3, 17, 2), np.nan))


def test_filling_for_lifting_interpolates_short_gaps_and_holds_long_ones():
    keypoints = np.tile(np.arange(40, dtype=np.float32)[:, None, None], (1, 17, 2))
    keypoints[5:8] = np.nan  # short: a straight line
    keypoints[20:40] = np.nan  # long, at the end: held from frame 19
    filled, missing = fill_for_lifting(keypoints, max_gap=4)
    np.testing.assert_allclose(filled[5:8, 0, 0], [5, 6, 7])
    np.testing.assert_allclose(filled[20:, 0, 0], 19)
    assert missing.tolist() == [False] * 20 + [True] * 20  # interpolated frames count as seen
