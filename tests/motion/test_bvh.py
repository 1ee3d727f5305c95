"""BVH export: read back with the independent `bvhio` parser, forward kinematics equals the input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from motion import Motion, export
from motion.bones import set_bone_lengths, symmetric_bone_lengths
from motion.bvh_read import read_bvh_h36m
from motion.export_bvh import BVH_JOINT_NAMES, bvh_text, rest_positions, solve_rotations, to_y_up
from motion.rotations import matrix_to_euler
from pstmo.errors import InputError
from pstmo.skeleton import H36M_JOINTS, H36M_PARENTS

MM = 1e-3


def normalised_y_up(motion: Motion) -> np.ndarray:
    positions = to_y_up(motion)
    return set_bone_lengths(positions, symmetric_bone_lengths(positions))


def round_trip_error(motion: Motion, path: Path) -> np.ndarray:
    export(motion, path)
    positions, fps = read_bvh_h36m(path)
    assert fps == pytest.approx(motion.fps, rel=1e-6)
    return np.linalg.norm(positions - normalised_y_up(motion), axis=-1)


def cmu_to_h36m(path: Path, step: int) -> np.ndarray:
    """CMU BVH -> (T, 17, 3) H36M joints in metres (Y up), through bvhio's forward kinematics."""
    from motion.bvh_read import read_bvh_joint_positions

    names = ["Hips", "RightHip", "RightKnee", "RightAnkle", "LeftHip", "LeftKnee", "LeftAnkle", "lowerneck", "Head",
             "LeftShoulder", "LeftElbow", "LeftWrist", "RightShoulder", "RightElbow", "RightWrist"]
    positions, _ = read_bvh_joint_positions(path, names=names, end_sites=["Head"])
    p = {name: values[::step] * 0.05644 for name, values in positions.items()}
    thorax = p["lowerneck"]
    joints = [p["Hips"], p["RightHip"], p["RightKnee"], p["RightAnkle"], p["LeftHip"], p["LeftKnee"], p["LeftAnkle"],
              (p["Hips"] + thorax) / 2, thorax, p["Head"], p["Head End Site"], p["LeftShoulder"], p["LeftElbow"],
              p["LeftWrist"], p["RightShoulder"], p["RightElbow"], p["RightWrist"]]
    return np.stack(joints, axis=1)


def test_generated_motion_round_trips_through_bvhio_within_a_micrometre_scale_error(tmp_path, generated_positions):
    motion = Motion(generated_positions(), fps=30.0, frame="world_y_up", root_relative=False)
    errors = round_trip_error(motion, tmp_path / "generated.bvh")
    assert errors.max() < 0.01 * MM


def test_h36m_walking_round_trips_within_one_millimetre(h36m_3d, tmp_path):
    motion = Motion(h36m_3d["S9"]["Walking"][:300:2], fps=25.0, frame="world_z_up", root_relative=False)
    errors = round_trip_error(motion, tmp_path / "walking.bvh")
    assert errors.max() < 1 * MM


def test_h36m_sitting_down_round_trips_within_one_millimetre(h36m_3d, tmp_path):
    motion = Motion(h36m_3d["S11"]["SittingDown"][:600:4], fps=12.5, frame="world_z_up", root_relative=False)
    assert round_trip_error(motion, tmp_path / "sitting.bvh").max() < 1 * MM


def test_cmu_clip_round_trips_through_h36m_joints_within_one_millimetre(shared_dir, tmp_path):
    joints = cmu_to_h36m(shared_dir / "data" / "cmu_bvh" / "131_03.bvh", step=12)
    motion = Motion(joints, fps=10.0, frame="world_y_up", root_relative=False)
    assert round_trip_error(motion, tmp_path / "cmu.bvh").max() < 1 * MM


def test_camera_frame_motion_is_written_y_up_with_the_head_above_the_hips(h36m_3d, h36m_cameras, tmp_path):
    from pstmo.cameras import world_to_camera

    camera_joints = world_to_camera(h36m_3d["S9"]["Walking"][:20], h36m_cameras["S9"][0])
    export(Motion(camera_joints, fps=50.0, frame="camera", root_relative=False), tmp_path / "camera.bvh")
    positions, _ = read_bvh_h36m(tmp_path / "camera.bvh")
    assert np.all(positions[:, 10, 1] > positions[:, 0, 1] + 0.4)


def test_rest_pose_is_a_symmetric_t_pose_with_y_up_and_conventional_names(generated_positions):
    positions = generated_positions(frames=10)
    text = bvh_text(Motion(positions, fps=30.0, frame="world_y_up", root_relative=False))
    for name in ("Hips", "Spine", "Chest", "Neck", "Head", "LeftArm", "RightForeArm", "LeftUpLeg", "RightFoot"):
        assert f"JOINT {name}\n" in text or f"ROOT {name}\n" in text
    lengths = symmetric_bone_lengths(positions)
    rest = rest_positions(lengths)
    mirrored = rest * np.array([-1.0, 1.0, 1.0])
    assert np.allclose(rest[[4, 5, 6, 11, 12, 13]], mirrored[[1, 2, 3, 14, 15, 16]])
    assert rest[10, 1] > rest[8, 1] > rest[0, 1] > rest[6, 1]  # head above thorax above pelvis above ankle
    assert rest[13, 0] > rest[11, 0] > 0 > rest[14, 0] > rest[16, 0]  # arms straight out sideways
    assert "Frame Time: 0.03333333" in text


def test_a_t_pose_sequence_has_all_rotations_zero(generated_positions):
    lengths = symmetric_bone_lengths(generated_positions(frames=5))
    tpose = np.repeat(rest_positions(lengths)[None], 4, axis=0)
    local = solve_rotations(tpose, lengths)
    assert np.allclose(local, np.eye(3), atol=1e-9)


def test_euler_curves_have_no_180_or_360_degree_jumps_while_the_body_spins_twice(generated_positions):
    positions = generated_positions(frames=240)
    lengths = symmetric_bone_lengths(positions)
    local = solve_rotations(set_bone_lengths(positions, lengths), lengths)
    hips = matrix_to_euler(local[:, 0], "ZXY")
    assert np.abs(np.diff(hips, axis=0)).max() < 20.0
    assert np.ptp(hips[:, 2]) > 700.0  # the Y angle keeps counting past 360 instead of wrapping


@pytest.mark.parametrize(("name", "hinge_axis"), [("LeftForeArm", 2), ("RightForeArm", 2), ("LeftLeg", 1),
                                                  ("RightLeg", 1)])
def test_bent_elbows_and_knees_rotate_as_hinges_because_the_limb_twist_follows_their_plane(h36m_3d, name, hinge_axis):
    positions = normalised_y_up(Motion(h36m_3d["S9"]["Walking"][:400], fps=50.0, frame="world_z_up"))
    joint = BVH_JOINT_NAMES.index(name)
    tail, head = {"LeftForeArm": (13, 12), "RightForeArm": (16, 15), "LeftLeg": (6, 5), "RightLeg": (3, 2)}[name]
    upper = positions[:, head] - positions[:, H36M_PARENTS[head]]
    lower = positions[:, tail] - positions[:, head]
    cosine = np.sum(upper * lower, axis=1) / np.linalg.norm(upper, axis=1) / np.linalg.norm(lower, axis=1)
    bent = cosine < np.cos(np.radians(20))
    assert bent.sum() > 20
    angles = matrix_to_euler(solve_rotations(positions, symmetric_bone_lengths(positions))[bent, joint], "ZXY")
    off_axis = np.delete(angles, hinge_axis, axis=1)
    assert np.abs(off_axis).max() < 0.5  # degrees
    assert np.abs(angles[:, hinge_axis]).min() > 15.0


def test_bvh_export_rejects_nan_joints_an_empty_motion_and_a_missing_folder(tmp_path, generated_positions):
    positions = generated_positions(frames=10)
    positions[3, 5] = np.nan
    with pytest.raises(InputError, match="NaN"):
        export(Motion(positions, fps=30.0), tmp_path / "nan.bvh")
    with pytest.raises(InputError, match="no frames"):
        export(Motion(np.zeros((0, 17, 3)), fps=30.0), tmp_path / "empty.bvh")
    with pytest.raises(InputError, match="does not exist"):
        export(Motion(generated_positions(frames=5), fps=30.0), tmp_path / "missing" / "out.bvh")
    assert not list(tmp_path.iterdir())


def test_bvh_export_names_the_file_and_frames_when_joints_collapse_to_one_point(tmp_path, generated_positions):
    positions = generated_positions(frames=10)
    positions[3:5] = 0.0
    with pytest.raises(InputError, match=r"collapsed\.bvh: 2 of 10 frames \(first: frame 3\) have bones of zero"):
        export(Motion(positions, fps=30.0), tmp_path / "collapsed.bvh")
    with pytest.raises(InputError, match="10 of 10 frames"):
        export(Motion(np.zeros((10, 17, 3)), fps=30.0), tmp_path / "zeros.bvh")
    assert not list(tmp_path.iterdir())


def test_euler_order_and_scale_options_change_the_channels_and_units(tmp_path, generated_positions):
    motion = Motion(generated_positions(frames=20), fps=30.0, frame="world_y_up", root_relative=False)
    export(motion, tmp_path / "cm.bvh", order="XYZ", scale=100.0)
    text = (tmp_path / "cm.bvh").read_text()
    assert "CHANNELS 3 Xrotation Yrotation Zrotation" in text
    positions, _ = read_bvh_h36m(tmp_path / "cm.bvh")
    assert np.allclose(positions / 100.0, normalised_y_up(motion), atol=1e-5)
    assert len(H36M_JOINTS) == positions.shape[1]
