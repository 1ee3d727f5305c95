"""The calibrated conversion to H36M-17: what it moves, what it keeps, and that it respects projection."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.base import Person, to_h36m
from detectors.calibration import HIP_RAISE, THORAX_ABOVE_SHOULDERS, calibrate_h36m
from pstmo.skeleton import blazepose_to_h36m, coco_to_h36m
from tests.detectors.helpers import person_at

KEPT = [2, 3, 5, 6, 9, 11, 12, 13, 14, 15, 16]  # knees, ankles, nose, shoulders, elbows, wrists


def _plain(person: Person) -> np.ndarray:
    return coco_to_h36m(person.keypoints)


def test_limbs_shoulders_and_nose_are_unchanged():
    person = person_at(300, 400, height=300)
    plain = _plain(person)
    calibrated = calibrate_h36m(plain, layout="blazepose33")
    assert np.allclose(calibrated[KEPT], plain[KEPT])


def test_blazepose_hips_move_up_and_apart_and_pelvis_stays_between_them():
    plain = _plain(person_at(300, 400, height=300))
    out = calibrate_h36m(plain, layout="blazepose33")
    assert (out[[1, 4], 1] < plain[[1, 4], 1]).all()  # up (smaller y)
    assert abs(out[4, 0] - out[1, 0]) > abs(plain[4, 0] - plain[1, 0])
    assert np.allclose(out[0], (out[1] + out[4]) / 2)
    torso = (plain[11] + plain[14]) / 2 - (plain[1] + plain[4]) / 2
    assert np.allclose(out[0], (plain[1] + plain[4]) / 2 + HIP_RAISE * torso, atol=1e-4)


def test_thorax_sits_above_the_shoulders_and_spine_between_pelvis_and_thorax():
    out = calibrate_h36m(_plain(person_at(300, 400, height=300)), layout="blazepose33")
    mid_shoulder = (out[11] + out[14]) / 2
    assert np.allclose(out[8], mid_shoulder + THORAX_ABOVE_SHOULDERS * (mid_shoulder - out[0]), atol=1e-4)
    assert out[8, 1] < mid_shoulder[1]
    assert out[0, 1] > out[7, 1] > out[8, 1] > out[9, 1] > out[10, 1]


def test_calibration_commutes_with_rotation_scale_and_translation():
    rng = np.random.default_rng(0)
    plain = _plain(person_at(300, 400, height=300)) + rng.normal(0, 5, (17, 2)).astype(np.float32)
    angle = 0.7
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) * 1.7
    shift = np.array([40.0, -25.0])
    moved_then_calibrated = calibrate_h36m(plain @ rotation.T + shift)
    calibrated_then_moved = calibrate_h36m(plain) @ rotation.T + shift
    assert np.allclose(moved_then_calibrated, calibrated_then_moved, atol=1e-3)


def test_works_on_batches_and_3d_points():
    poses = np.random.default_rng(1).normal(size=(4, 5, 17, 3)).astype(np.float32)
    out = calibrate_h36m(poses)
    assert out.shape == poses.shape
    assert np.allclose(out[2, 3], calibrate_h36m(poses[2, 3]))


def test_coco_layout_keeps_its_hips():
    plain = _plain(person_at(300, 400, height=300))
    out = calibrate_h36m(plain, layout="coco17")
    assert np.allclose(out[[1, 4]], plain[[1, 4]])


def test_to_h36m_converts_a_blazepose_person_with_confidences():
    rng = np.random.default_rng(2)
    keypoints = rng.uniform(100, 400, (33, 2)).astype(np.float32)
    scores = rng.uniform(0.2, 1.0, 33).astype(np.float32)
    person = Person(keypoints, scores, np.array([100, 100, 400, 400]), "blazepose33")
    points, confidence = to_h36m(person)
    assert points.shape == (17, 2) and confidence.shape == (17,)
    assert np.allclose(points[KEPT], blazepose_to_h36m(keypoints)[KEPT])
    assert confidence[0] == pytest.approx(min(scores[23], scores[24]))
