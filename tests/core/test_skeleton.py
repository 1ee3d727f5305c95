"""H36M-17 skeleton: structure, left/right flip and conversions from COCO-17, MPII-16 and BlazePose-33."""

from __future__ import annotations

import numpy as np
import pytest

from pstmo import skeleton
from pstmo.skeleton import (
    BLAZEPOSE_JOINTS,
    COCO_JOINTS,
    H36M_BONES,
    H36M_FLIP_PERMUTATION,
    H36M_JOINTS,
    H36M_LEFT,
    H36M_PARENTS,
    H36M_RIGHT,
    MPII_JOINTS,
    blazepose_to_h36m,
    bone_lengths,
    bone_side,
    coco_to_h36m,
    mpii_to_h36m,
)
from pstmo.transforms import flip_h36m


def _h36m(name: str) -> int:
    return H36M_JOINTS.index(name)


def test_h36m_tree_is_rooted_at_the_pelvis_with_sixteen_bones():
    assert len(H36M_JOINTS) == len(H36M_PARENTS) == 17
    assert H36M_PARENTS[0] == -1 and all(0 <= p < c for c, p in enumerate(H36M_PARENTS) if c > 0)
    assert len(H36M_BONES) == 16
    assert H36M_PARENTS[_h36m("LWrist")] == _h36m("LElbow")
    assert H36M_PARENTS[_h36m("Head")] == _h36m("Neck/Nose")


def test_left_and_right_joints_are_mirror_names():
    for left, right in zip(H36M_LEFT, H36M_RIGHT, strict=True):
        assert H36M_JOINTS[left] == "L" + H36M_JOINTS[right][1:]
    assert bone_side(_h36m("LKnee")) == "left" and bone_side(_h36m("RWrist")) == "right"
    assert bone_side(_h36m("Spine")) == "centre"


def test_flip_permutation_swaps_sides_and_is_its_own_inverse():
    perm = H36M_FLIP_PERMUTATION
    np.testing.assert_array_equal(perm[perm], np.arange(17))
    assert perm[_h36m("LHip")] == _h36m("RHip") and perm[_h36m("Pelvis")] == _h36m("Pelvis")


def test_flip_negates_x_swaps_sides_and_twice_is_identity():
    pose = np.random.default_rng(0).normal(size=(4, 17, 3))
    original = pose.copy()
    flipped = flip_h36m(pose)
    np.testing.assert_array_equal(flipped[:, _h36m("LWrist")], pose[:, _h36m("RWrist")] * [-1, 1, 1])
    np.testing.assert_array_equal(flip_h36m(flipped), pose)
    np.testing.assert_array_equal(pose, original)  # the input is left untouched


def test_flip_in_pixels_mirrors_about_the_image_width():
    pose = np.random.default_rng(1).uniform(0, 640, size=(17, 2))
    flipped = flip_h36m(pose, normalised=False, image_width=640)
    np.testing.assert_allclose(flipped[_h36m("Pelvis"), 0], 640 - pose[_h36m("Pelvis"), 0])
    with pytest.raises(ValueError):
        flip_h36m(pose, normalised=False)
    with pytest.raises(ValueError):
        flip_h36m(np.zeros((16, 2)))


def test_coco_conversion_copies_limbs_and_derives_the_torso_and_head():
    coco = np.random.default_rng(2).normal(size=(3, 17, 2))
    h36m = coco_to_h36m(coco)
    c = COCO_JOINTS.index
    pelvis = (coco[:, c("left_hip")] + coco[:, c("right_hip")]) / 2
    thorax = (coco[:, c("left_shoulder")] + coco[:, c("right_shoulder")]) / 2
    np.testing.assert_allclose(h36m[:, _h36m("Pelvis")], pelvis)
    np.testing.assert_allclose(h36m[:, _h36m("Thorax")], thorax)
    np.testing.assert_allclose(h36m[:, _h36m("Spine")], (pelvis + thorax) / 2)
    np.testing.assert_allclose(h36m[:, _h36m("Neck/Nose")], coco[:, c("nose")])
    np.testing.assert_allclose(h36m[:, _h36m("Head")], (coco[:, c("left_eye")] + coco[:, c("right_eye")]) / 2)
    for side, other in (("L", "left"), ("R", "right")):
        for h36m_name, coco_name in (("Hip", "hip"), ("Knee", "knee"), ("Ankle", "ankle"),
                                     ("Shoulder", "shoulder"), ("Elbow", "elbow"), ("Wrist", "wrist")):
            np.testing.assert_array_equal(h36m[:, _h36m(side + h36m_name)], coco[:, c(f"{other}_{coco_name}")])


def test_coco_confidences_of_derived_joints_are_the_minimum_of_their_sources():
    scores = np.linspace(0.1, 0.9, 17)[:, None]
    out = coco_to_h36m(scores)
    c = COCO_JOINTS.index
    assert out[_h36m("Pelvis"), 0] == min(scores[c("left_hip"), 0], scores[c("right_hip"), 0])
    assert out[_h36m("Spine"), 0] == min(scores[c(n), 0] for n in ("left_hip", "right_hip", "left_shoulder",
                                                                   "right_shoulder"))


def test_blazepose_conversion_goes_through_its_coco_named_landmarks():
    blaze = np.random.default_rng(3).normal(size=(33, 3))
    coco = np.stack([blaze[BLAZEPOSE_JOINTS.index(name)] for name in COCO_JOINTS])
    np.testing.assert_array_equal(blazepose_to_h36m(blaze), coco_to_h36m(coco))


def test_mpii_conversion_maps_joints_and_places_the_nose_between_neck_and_head_top():
    mpii = np.random.default_rng(4).normal(size=(2, 16, 2))
    h36m = mpii_to_h36m(mpii)
    m = MPII_JOINTS.index
    for name in ("Pelvis", "Thorax", "RHip", "LKnee", "RAnkle", "LShoulder", "RElbow", "LWrist"):
        np.testing.assert_array_equal(h36m[:, _h36m(name)], mpii[:, m(name)])
    np.testing.assert_array_equal(h36m[:, _h36m("Head")], mpii[:, m("HeadTop")])
    np.testing.assert_allclose(h36m[:, _h36m("Spine")], (mpii[:, m("Pelvis")] + mpii[:, m("Thorax")]) / 2)
    expected_nose = mpii[:, m("UpperNeck")] + skeleton.MPII_NOSE_FRACTION * (
        mpii[:, m("HeadTop")] - mpii[:, m("UpperNeck")])
    np.testing.assert_allclose(h36m[:, _h36m("Neck/Nose")], expected_nose)
    scores = mpii_to_h36m(np.linspace(0.1, 0.8, 16)[:, None])
    assert scores[_h36m("Neck/Nose"), 0] == pytest.approx(min(0.1 + 0.7 * 8 / 15, 0.1 + 0.7 * 9 / 15))


def test_conversions_of_a_mirrored_person_equal_the_flipped_conversion():
    # Converting then flipping equals flipping in the source layout then converting.
    coco = np.random.default_rng(5).normal(size=(17, 2))
    coco_flip_perm = [COCO_JOINTS.index(n.replace("left", "#").replace("right", "left").replace("#", "right"))
                      for n in COCO_JOINTS]
    mirrored = coco[coco_flip_perm] * [-1, 1]
    np.testing.assert_allclose(coco_to_h36m(mirrored), flip_h36m(coco_to_h36m(coco)))


def test_conversions_reject_the_wrong_number_of_joints():
    with pytest.raises(ValueError, match="COCO-17"):
        coco_to_h36m(np.zeros((16, 2)))
    with pytest.raises(ValueError, match="MPII-16"):
        mpii_to_h36m(np.zeros((17, 2)))
    with pytest.raises(ValueError, match="BlazePose-33"):
        blazepose_to_h36m(np.zeros((17, 2)))


def test_integer_pixels_convert_to_floats():
    coco = np.arange(34, dtype=np.int16).reshape(17, 2)
    assert coco_to_h36m(coco).dtype == np.float32


def test_bone_lengths_of_a_stretched_pose_scale_with_it():
    pose = np.random.default_rng(6).normal(size=(17, 3))
    lengths = bone_lengths(pose)
    assert lengths.shape == (16,)
    np.testing.assert_allclose(bone_lengths(2.5 * pose + 1.0), 2.5 * lengths)
    parent, child = H36M_BONES[0]
    assert lengths[0] == pytest.approx(np.linalg.norm(pose[child] - pose[parent]))
