"""MPI-INF-3DHP npz files, BVH mocap folders and unlabelled 2D tracks become training sequences."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from motion.bvh_read import read_bvh
from pstmo.errors import InputError
from pstmo.skeleton import H36M_JOINTS, bone_lengths
from training.config import TrainConfig
from training.data_3dhp import MPI3DHP_TO_H36M, load_3dhp
from training.data_bvh import load_bvh_folder, resample
from training.data_tracks import load_tracks
from training.datasets import load_split
from training.tensor_dataset import WindowDataset


def _3dhp_pose(frames: int, rng) -> np.ndarray:
    pose = rng.normal(0, 300, (frames, 17, 3)).astype(np.float32)
    pose[:, :, 2] += 4000
    return pose


def _write_3dhp(folder, rng):
    train = {"S1 Seq1": [{0: {"data_3d": _3dhp_pose(8, rng), "data_2d": rng.uniform(0, 2048, (8, 17, 2))},
                          2: {"data_3d": _3dhp_pose(8, rng), "data_2d": rng.uniform(0, 2048, (8, 17, 2))}}]}
    test = {name: {"data_3d": _3dhp_pose(6, rng), "data_2d": rng.uniform(0, 1000, (6, 17, 2)),
                   "valid": np.array([1, 1, 0, 1, 0, 1])} for name in ("TS1", "TS5")}
    np.savez(folder / "data_train_3dhp.npz", data=train)
    np.savez(folder / "data_test_3dhp.npz", data=test)
    return train, test


def test_3dhp_files_become_h36m_ordered_root_relative_metres_with_valid_frames(tmp_path):
    train, test = _write_3dhp(tmp_path, np.random.default_rng(0))
    train_sequences = load_3dhp(tmp_path, "train")
    assert [s.name for s in train_sequences] == ["S1 Seq1/0", "S1 Seq1/2"]
    raw = train["S1 Seq1"][0][0]["data_3d"]
    expected = raw[:, MPI3DHP_TO_H36M] / 1000
    assert np.allclose(train_sequences[0].pose_3d, expected - expected[:, :1], atol=1e-6)
    assert np.allclose(train_sequences[0].pose_3d[:, 0], 0)  # 3DHP's root (joint 14) is the pelvis
    test_sequences = {s.name: s for s in load_3dhp(tmp_path, "test")}
    assert test_sequences["TS1"].image_size == (2048, 2048) and test_sequences["TS5"].image_size == (1920, 1080)
    assert test_sequences["TS1"].valid.tolist() == [True, True, False, True, False, True]
    data = WindowDataset(list(test_sequences.values()), frames=3)
    assert len(data) == 8  # valid frames only


def test_a_3dhp_test_sequence_without_valid_flags_is_reported(tmp_path):
    np.savez(tmp_path / "data_test_3dhp.npz",
             data={"TS1": {"data_3d": np.zeros((3, 17, 3)), "data_2d": np.zeros((3, 17, 2))}})
    with pytest.raises(InputError, match="data_test_3dhp.npz: TS1 is missing 'valid'"):
        load_3dhp(tmp_path, "test")


def test_cmu_bvh_clips_give_constant_bone_lengths_at_the_target_rate_from_several_cameras(shared_dir):
    folder = shared_dir / "data" / "cmu_bvh"
    clip = read_bvh(folder / "131_01.bvh")
    sequences = load_bvh_folder(folder / "131_01.bvh", fps=50.0, views=3)
    assert len(sequences) == 3 and len({s.image_size for s in sequences} | {(0, 0)}) >= 2
    first = sequences[0]
    assert len(first) == int((clip.frames - 1) * clip.frame_time * 50) + 1
    lengths = bone_lengths(first.pose_3d)
    assert np.all(lengths.std(axis=0) < 0.01)  # rigid bones through FK, resampling and cameras
    shin = lengths[:, 2].mean()  # RKnee -> RAnkle
    assert 0.3 < shin < 0.5
    w, h = first.image_size
    inside = (first.keypoints_2d[..., 0] > 0) & (first.keypoints_2d[..., 0] < w) & (first.keypoints_2d[..., 1] > 0)
    assert inside.mean() > 0.95
    assert np.abs(first.pose_3d[:, 0]).max() == 0


def test_resampling_keeps_the_motion_at_the_new_rate():
    poses = np.arange(5, dtype=float)[:, None, None] * np.ones((5, 17, 3))  # moves 1 unit per frame at 100 Hz
    out = resample(poses, 100.0, 50.0)
    assert out[:, 0, 0].tolist() == [0.0, 2.0, 4.0]


def test_bvh_dataset_holds_out_the_last_clip_for_validation(shared_dir, tmp_path):
    config = TrainConfig(dataset="bvh", data_dir=str(shared_dir / "data" / "cmu_bvh"), bvh_views=1)
    train = load_split(config, "train")
    test = load_split(config, "test")
    assert {s.subject for s in train} == {"131_01", "131_02"} and {s.subject for s in test} == {"131_03"}


@pytest.mark.parametrize(("text", "problem"), [("HIERARCHY\nROOT Hips\n{\n", "no MOTION"), ("hello", "no HIERARCHY")])
def test_broken_bvh_files_are_reported(tmp_path, text, problem):
    path = tmp_path / "bad.bvh"
    path.write_text(text)
    with pytest.raises(InputError, match=f"bad.bvh: not a valid BVH file \\({problem}"):
        read_bvh(path)


def test_a_bvh_without_legs_names_the_missing_joint(tmp_path, shared_dir):
    text = (shared_dir / "data" / "cmu_bvh" / "131_01.bvh").read_text().replace("RightKnee", "RKneeX")
    (tmp_path / "odd.bvh").write_text(text)
    with pytest.raises(InputError, match="no BVH joint for H36M RKnee"):
        load_bvh_folder(tmp_path)


def _track(keypoints):
    return {"joints": list(H36M_JOINTS), "image_size": [640, 480], "fps": 30, "keypoints": keypoints,
            "confidence": [[1.0] * 17 for _ in keypoints]}


def test_detector_tracks_split_at_empty_frames_and_serve_stage_one(tmp_path):
    rng = np.random.default_rng(0)
    frames = rng.uniform(0, 480, (7, 17, 2)).round(1).tolist()
    frames[3] = [None] * 17  # nobody in view
    frames[5][4] = None  # one joint missing: filled later by interpolation
    (tmp_path / "clip.json").write_text(json.dumps(_track(frames)))
    sequences = load_tracks(tmp_path)
    assert [len(s) for s in sequences] == [3, 3]
    assert all(s.pose_3d is None and s.image_size == (640, 480) and s.fps == 30 for s in sequences)
    data = WindowDataset(sequences, frames=3)
    assert not data.labelled and bool(data.inputs.isfinite().all())
    with pytest.raises(InputError, match="Stage I only"):
        load_split(TrainConfig(dataset="tracks", data_dir=str(tmp_path)), "test")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{", "not a readable track JSON"),
        (json.dumps({"keypoints": [], "image_size": [1, 1]}), "missing key 'fps'"),
        (json.dumps(_track([])), "empty track"),
        (json.dumps(_track([[[1, 2]] * 16])), "T x 17 x"),
    ],
)
def test_bad_track_files_are_reported(tmp_path, content, problem):
    (tmp_path / "t.json").write_text(content)
    with pytest.raises(InputError, match=problem) as error:
        load_tracks(tmp_path / "t.json")
    assert "t.json" in str(error.value)


def test_an_empty_track_folder_is_reported(tmp_path):
    with pytest.raises(InputError, match="no track files"):
        load_tracks(tmp_path)
    shutil.rmtree(tmp_path)
    with pytest.raises(InputError, match="not found"):
        load_tracks(tmp_path)


def test_track_csv_files_serve_stage_one_like_detect_json(tmp_path):
    from tracks.track import Track2D
    from tracks.track_io import write_track_csv

    rng = np.random.default_rng(0)
    keypoints = rng.uniform(0, 480, (6, 17, 2)).astype(np.float32)
    keypoints[2] = np.nan
    write_track_csv(Track2D(keypoints=keypoints, confidence=np.ones((6, 17)), image_size=(640, 480), fps=30),
                    tmp_path / "clip.csv")
    sequences = load_tracks(tmp_path)
    assert [len(s) for s in sequences] == [2, 3]
    assert all(s.pose_3d is None and s.image_size == (640, 480) for s in sequences)
