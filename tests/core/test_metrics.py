"""Metrics on hand-made cases whose answers are known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from pstmo.metrics import (
    AUC_THRESHOLDS,
    MPI_INF_3DHP_14,
    acceleration_error,
    action_of,
    auc,
    joint_errors,
    mpjpe,
    mpjpe_per_joint,
    mpjve,
    n_mpjpe,
    p_mpjpe,
    p_mpjpe_per_joint,
    pck,
    per_action_average,
    procrustes_align,
)


def _rotation(rng: np.random.Generator) -> np.ndarray:
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    return q if np.linalg.det(q) > 0 else -q


@pytest.fixture
def poses() -> np.ndarray:
    return np.random.default_rng(0).normal(scale=0.3, size=(8, 17, 3))


def test_mpjpe_is_the_mean_joint_distance():
    target = np.zeros((2, 17, 3))
    predicted = target.copy()
    predicted[0, :, 0] = 0.03  # 30 mm on every joint of frame 0
    predicted[1, :, 1] = -0.04  # 40 mm on every joint of frame 1
    assert mpjpe(predicted, target) == pytest.approx(0.035)
    np.testing.assert_allclose(mpjpe_per_joint(predicted, target), np.full(17, 0.035))


def test_per_joint_mpjpe_locates_the_wrong_joint(poses):
    predicted = poses.copy()
    predicted[:, 5] += [0.0, 0.0, 0.1]
    per_joint = mpjpe_per_joint(predicted, poses)
    assert per_joint[5] == pytest.approx(0.1) and np.all(np.delete(per_joint, 5) == 0)


def test_rotated_scaled_shifted_copy_has_zero_p_mpjpe(poses):
    rng = np.random.default_rng(1)
    moved = np.stack([1.7 * pose @ _rotation(rng) + rng.normal(size=3) for pose in poses])
    assert mpjpe(moved, poses) > 0.1
    assert p_mpjpe(moved, poses) < 1e-9
    np.testing.assert_allclose(procrustes_align(moved, poses), poses, atol=1e-9)
    assert np.all(p_mpjpe_per_joint(moved, poses) < 1e-9)


def test_procrustes_never_uses_a_reflection(poses):
    mirrored = poses * np.array([-1.0, 1.0, 1.0])  # a mirror image is not a rotation of the original
    aligned = procrustes_align(mirrored, poses)
    assert p_mpjpe(mirrored, poses) > 0.01
    for pose, aligned_pose in zip(mirrored, aligned, strict=True):
        centred = pose - pose.mean(axis=0)
        transform, *_ = np.linalg.lstsq(centred, aligned_pose - aligned_pose.mean(axis=0), rcond=None)
        assert np.linalg.det(transform) > 0


def test_p_mpjpe_is_at_most_mpjpe(poses):
    noisy = poses + np.random.default_rng(2).normal(scale=0.02, size=poses.shape)
    assert 0 < p_mpjpe(noisy, poses) <= mpjpe(noisy, poses)


def test_n_mpjpe_removes_a_uniform_scale_but_not_a_rotation(poses):
    assert n_mpjpe(0.5 * poses, poses) < 1e-12
    rotated = poses @ _rotation(np.random.default_rng(3))
    assert n_mpjpe(rotated, poses) > 0.01


def test_velocity_and_acceleration_errors_of_a_constant_offset_are_zero(poses):
    assert mpjve(poses + 0.1, poses) < 1e-12
    assert acceleration_error(poses + 0.1, poses) < 1e-12


def test_velocity_error_of_a_linear_drift_is_its_speed_and_acceleration_error_is_zero():
    target = np.zeros((10, 17, 3))
    drift = np.arange(10)[:, None, None] * np.array([0.003, 0.0, 0.004])  # 5 mm per frame
    assert mpjve(target + drift, target) == pytest.approx(0.005)
    assert acceleration_error(target + drift, target) < 1e-12


def test_acceleration_error_of_a_parabola_is_its_second_difference():
    target = np.zeros((6, 17, 3))
    predicted = target.copy()
    predicted[..., 2] = 0.001 * np.arange(6)[:, None] ** 2  # second difference 2 mm
    assert acceleration_error(predicted, target) == pytest.approx(0.002)


def test_temporal_metrics_need_enough_frames():
    with pytest.raises(ValueError):
        mpjve(np.zeros((1, 17, 3)), np.zeros((1, 17, 3)))
    with pytest.raises(ValueError):
        acceleration_error(np.zeros((2, 17, 3)), np.zeros((2, 17, 3)))


def test_pck_counts_joints_strictly_below_150_mm_on_3dhp_joints():
    target = np.zeros((1, 17, 3))
    predicted = target.copy()
    selected = list(MPI_INF_3DHP_14)
    predicted[0, selected[:7], 0] = 0.100  # 7 of 14 within
    predicted[0, selected[7:], 0] = 0.200  # 7 of 14 beyond
    predicted[0, [0, 7, 9], 0] = 1.0  # pelvis, spine, neck/nose: not scored
    assert pck(predicted, target) == pytest.approx(0.5)
    assert pck(predicted, target, joints=None) == pytest.approx(7 / 17)
    assert pck(predicted, target, threshold=0.250) == pytest.approx(1.0)


def test_3dhp_joints_are_fourteen_distinct_and_leave_out_pelvis_spine_nose():
    assert len(set(MPI_INF_3DHP_14)) == 14
    assert {0, 7, 9}.isdisjoint(MPI_INF_3DHP_14)


def test_auc_of_known_errors_is_the_fraction_of_thresholds_above_them():
    target = np.zeros((1, 17, 3))
    predicted = target.copy()
    predicted[..., 0] = 0.0725  # 72.5 mm: below thresholds 75..150 mm (16 of 31)
    assert len(AUC_THRESHOLDS) == 31
    assert auc(predicted, target) == pytest.approx(16 / 31)
    assert auc(target, target) == pytest.approx(30 / 31)  # zero error is not below the 0 mm threshold
    assert auc(predicted + 1.0, target) == 0.0


def test_joint_errors_reject_mismatched_shapes():
    with pytest.raises(ValueError):
        joint_errors(np.zeros((2, 17, 3)), np.zeros((3, 17, 3)))


def test_per_action_average_weighs_each_action_equally_and_merges_sequences():
    result = per_action_average({"Walking 1": [0.01, 0.03], "Walking": 0.05, "Eating": [0.10]})
    assert result["per_action"] == pytest.approx({"Walking": 0.03, "Eating": 0.10})
    assert result["average"] == pytest.approx(0.065)
    separate = per_action_average({"Walking 1": 0.01, "Walking": 0.05}, merge_sequences=False)
    assert set(separate["per_action"]) == {"Walking 1", "Walking"}
    assert action_of("SittingDown 2") == "SittingDown"
    with pytest.raises(ValueError):
        per_action_average({})
