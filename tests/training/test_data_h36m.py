"""Human3.6M loading: the shared release, VideoPose3D-layout files, the protocol split and bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pstmo.cameras import load_h36m_cameras, project_to_2d, world_to_camera
from pstmo.errors import InputError
from training.data_h36m import VP3D_32_TO_17, load_h36m


def test_gt_input_is_the_3d_projected_by_each_camera_and_3d_is_root_relative(h36m_dir):
    sequences = load_h36m(h36m_dir, ["S1"], actions=["Walking"], max_sequences=1)
    assert [s.camera for s in sequences] == [c.id for c in load_h36m_cameras(h36m_dir / "h36m_cameras.json")["S1"]]
    first = sequences[0]
    assert first.pose_3d.shape == (len(first), 17, 3) and first.keypoints_2d.shape == (len(first), 17, 2)
    assert np.abs(first.pose_3d[:, 0]).max() == 0
    assert first.action == "Walking" and first.subject == "S1" and first.fps == 50
    # a 1.7 m person: head to ankle about 1.5-1.9 m
    height = np.linalg.norm(first.pose_3d[:, 10] - first.pose_3d[:, 3], axis=-1).mean()
    assert 1.3 < height < 2.0


def test_noise_input_differs_from_gt_by_about_sigma_pixels(h36m_dir):
    gt = load_h36m(h36m_dir, ["S1"], actions=["Walking"], max_sequences=1, cameras=[0])[0]
    noisy = load_h36m(h36m_dir, ["S1"], input_2d="gt+noise", noise_px=4.0, actions=["Walking"],
                      max_sequences=1, cameras=[0])[0]
    assert abs(float((noisy.keypoints_2d - gt.keypoints_2d).std()) - 4.0) < 0.2
    assert np.array_equal(noisy.pose_3d, gt.pose_3d)


def test_stacked_hourglass_input_is_converted_to_h36m_17_near_the_projected_gt(h36m_dir):
    sh = load_h36m(h36m_dir, ["S9"], input_2d="sh", actions=["Walking"], max_sequences=1, cameras=[1])[0]
    gt = load_h36m(h36m_dir, ["S9"], actions=["Walking"], max_sequences=1, cameras=[1])[0]
    assert sh.keypoints_2d.shape == gt.keypoints_2d.shape
    median_px = float(np.median(np.linalg.norm(sh.keypoints_2d - gt.keypoints_2d, axis=-1)[:, [1, 2, 3, 4, 5, 6]]))
    assert median_px < 15.0


def test_s11_directions_is_left_out_as_the_standard_protocol_says(h36m_dir):
    sequences = load_h36m(h36m_dir, ["S11"], actions=["Directions", "Walking"])
    assert {s.action for s in sequences} == {"Walking"}


def _write_vp3d(folder: Path, h36m_dir: Path, frames: int = 12) -> None:
    """A tiny VideoPose3D-layout copy: 32-joint float metres 3D, and 17-joint 'cpn' 2D one frame longer."""
    rng = np.random.default_rng(0)
    poses = {"S9": {"Walking 1": rng.normal([0, 0, 1.0], 0.3, (frames, 32, 3)).astype(np.float32)}}
    np.savez(folder / "data_3d_h36m.npz", positions_3d=poses)
    cpn = {"S9": {"Walking 1": [rng.uniform(0, 1000, (frames + 1, 17, 2)).astype(np.float32) for _ in range(4)]}}
    np.savez(folder / "data_2d_h36m_cpn_ft_h36m_dbb.npz", positions_2d=cpn, metadata={"layout_name": "h36m"})
    (folder / "h36m_cameras.json").write_text((h36m_dir / "h36m_cameras.json").read_text())


def test_videopose3d_files_give_17_joints_and_cpn_detections_trimmed_to_the_mocap(tmp_path, h36m_dir):
    _write_vp3d(tmp_path, h36m_dir)
    sequences = load_h36m(tmp_path, ["S9"], input_2d="cpn")
    assert len(sequences) == 4 and sequences[0].action == "Walking"
    world = np.load(tmp_path / "data_3d_h36m.npz", allow_pickle=True)["positions_3d"].item()["S9"]["Walking 1"]
    camera = load_h36m_cameras(tmp_path / "h36m_cameras.json")["S9"][0]
    expected = world_to_camera(world[:, VP3D_32_TO_17], camera)
    assert len(sequences[0]) == 12
    assert np.allclose(sequences[0].pose_3d, expected - expected[:, :1], atol=1e-5)
    gt = load_h36m(tmp_path, ["S9"], input_2d="gt")[0]
    assert np.allclose(gt.keypoints_2d, project_to_2d(expected, camera), atol=1e-3)


def test_missing_detection_file_names_the_file(tmp_path, h36m_dir):
    _write_vp3d(tmp_path, h36m_dir)
    with pytest.raises(InputError, match="data_2d_h36m_detectron_ft_h36m.npz: file not found"):
        load_h36m(tmp_path, ["S9"], input_2d="detectron")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ({"wrong_key": np.zeros(3)}, "missing key 'positions_3d'"),
        ({"positions_3d": {"S9": {"Walking": np.zeros((5, 5, 3))}}}, r"must be \(T, 32, 3\)"),
        ({"positions_3d": {"S9": {"Walking": np.full((5, 32, 3), np.nan)}}}, "NaN"),
        ({"positions_3d": {"S9": {"Walking": np.zeros((0, 32, 3))}}}, "empty"),
    ],
)
def test_bad_3d_files_give_one_line_errors_naming_file_and_problem(tmp_path, h36m_dir, content, problem):
    np.savez(tmp_path / "data_3d_h36m.npz", **content)
    (tmp_path / "h36m_cameras.json").write_text((h36m_dir / "h36m_cameras.json").read_text())
    with pytest.raises(InputError, match=problem) as error:
        load_h36m(tmp_path, ["S9"])
    assert "data_3d_h36m.npz" in str(error.value) and "\n" not in str(error.value)


def test_a_corrupt_npz_and_a_missing_folder_are_reported(tmp_path):
    (tmp_path / "data_3d_h36m.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable npz"):
        load_h36m(tmp_path, ["S9"])
    with pytest.raises(InputError, match="data folder not found"):
        load_h36m(tmp_path / "nowhere", ["S9"])


def test_an_unknown_subject_is_reported(h36m_dir):
    with pytest.raises(InputError, match="no subject S2"):
        load_h36m(h36m_dir, ["S2"])


def test_cameras_json_without_cameras_is_reported(tmp_path, h36m_dir):
    _write_vp3d(tmp_path, h36m_dir)
    (tmp_path / "h36m_cameras.json").write_text(json.dumps({"something": 1}))
    with pytest.raises(InputError, match="h36m_cameras.json"):
        load_h36m(tmp_path, ["S9"])
