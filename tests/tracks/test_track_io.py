"""2D track files: the CSV round-trips a Track2D, and one loader reads CSV, `detect` JSON and `process` results."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pstmo.errors import InputError
from pstmo.skeleton import H36M_JOINTS
from tracks.track import Track2D
from tracks.track_io import load_track, read_track_csv, track_csv_header, write_track_csv


def _track(frames: int = 5) -> Track2D:
    rng = np.random.default_rng(1)
    keypoints = rng.uniform(0, 600, (frames, 17, 2)).astype(np.float32)
    keypoints[2] = np.nan  # nobody in view
    keypoints[3, 4] = np.nan  # one joint missing
    confidence = rng.uniform(0.2, 1.0, (frames, 17)).astype(np.float32)
    confidence[np.isnan(keypoints).any(axis=-1)] = 0.0
    return Track2D(keypoints=keypoints, confidence=confidence, image_size=(640, 480), fps=25.0)


def test_a_track_csv_reads_back_the_same_keypoints_confidence_size_and_fps(tmp_path):
    track = _track()
    path = write_track_csv(track, tmp_path / "clip.csv")
    back = read_track_csv(path)
    assert back.image_size == (640, 480) and back.fps == 25.0
    np.testing.assert_allclose(back.keypoints, track.keypoints, atol=0.005, equal_nan=True)
    np.testing.assert_allclose(back.confidence, track.confidence, atol=5e-5)
    lines = path.read_text().splitlines()
    assert lines[0] == "# pstmo-track2d image_size=640x480 fps=25"
    assert lines[1].split(",") == track_csv_header() and "NeckNose_x" in lines[1]


def test_load_track_reads_detect_json_and_process_results(tmp_path):
    from motion.motion import Motion
    from motion.result import save_result

    track = _track()
    detect_json = tmp_path / "clip.json"
    keypoints = [[None if np.isnan(p).any() else p.tolist() for p in frame] for frame in track.keypoints]
    detect_json.write_text(json.dumps({"joints": list(H36M_JOINTS), "image_size": [640, 480], "fps": 25,
                                       "keypoints": keypoints, "confidence": track.confidence.tolist()}))
    np.testing.assert_allclose(load_track(detect_json).keypoints, track.keypoints, atol=1e-4, equal_nan=True)
    result = tmp_path / "clip.result.npz"
    save_result(result, Motion(joints=np.zeros((5, 17, 3)), fps=25.0), track)
    assert load_track(result).image_size == (640, 480)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("a.csv", "frame,time_s\n0,0\n", "not a track CSV"),
        ("b.csv", "# pstmo-track2d image_size=10x10 fps=30\nframe,x\n", "header"),
        ("c.csv", "# pstmo-track2d image_size=10x10 fps=30\n" + ",".join(track_csv_header()) + "\n", "empty"),
        ("d.txt", "hello", "unknown track file type"),
    ],
)
def test_bad_track_files_give_one_line_naming_the_file(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=problem) as error:
        load_track(path)
    assert name in str(error.value)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_load_track_reads_the_track_out_of_a_result_file_of_either_form(tmp_path, suffix):
    from motion.motion import Motion
    from motion.result import save_result

    track = _track()
    with_track, without = tmp_path / f"clip.result{suffix}", tmp_path / f"bare{suffix}"
    save_result(with_track, Motion(joints=np.zeros((5, 17, 3)), fps=25.0), track)
    save_result(without, Motion(joints=np.zeros((5, 17, 3)), fps=25.0))
    loaded = load_track(with_track)
    np.testing.assert_allclose(loaded.keypoints, track.keypoints, atol=1e-6, equal_nan=True)
    assert loaded.image_size == (640, 480) and loaded.fps == 25.0
    with pytest.raises(InputError, match=f"bare{suffix}: this result file holds no 2D track"):
        load_track(without)
