"""`python main.py detect` (pipeline/cli_detect.py): JSON output, atomic write, and one-line errors for bad input."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

import detectors
from main import main
from tests.detectors.helpers import ReplayDetector, person_at


@pytest.fixture
def replay_backend(monkeypatch):
    """`create_detector` returns a stand-in that sees two people (the right one bigger), none in frame 2."""
    script = [[] if n == 2 else [person_at(100, 200, 120), person_at(300, 200, 200)] for n in range(8)]
    monkeypatch.setattr(detectors, "create_detector", lambda name, **options: ReplayDetector(script))


def _video(path, frames=8):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 20.0, (400, 300))
    for _ in range(frames):
        writer.write(np.full((300, 400, 3), 128, np.uint8))
    writer.release()
    return path


def test_detect_writes_the_chosen_persons_keypoints_as_json(tmp_path, replay_backend, capsys):
    out = tmp_path / "kp.json"
    assert main(["detect", str(_video(tmp_path / "in.avi")), "--out", str(out), "--max-gap", "0",
                 "--no-progress"]) == 0
    data = json.loads(out.read_text())
    assert data["joints"][0] == "Pelvis" and len(data["joints"]) == 17
    assert data["image_size"] == [400, 300] and data["fps"] == pytest.approx(20.0)
    assert data["frames"] == 8 and len(data["keypoints"]) == 8 and len(data["confidence"]) == 8
    assert data["keypoints"][2] == [None] * 17 and data["missing_frames"] == [2]
    assert len(data["keypoints"][0]) == 17 and len(data["keypoints"][0][0]) == 2
    assert data["person_id"] == 1 and len(data["people"]) == 2 and data["id_switches"] == []
    assert data["people"][1]["length"] == 7
    assert "person 1 in 7/8 frames" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.avi", "kp.json"]  # no temporary file left


def test_detect_fills_short_gaps_by_default(tmp_path, replay_backend):
    out = tmp_path / "kp.json"
    assert main(["detect", str(_video(tmp_path / "in.avi")), "--out", str(out), "--no-progress"]) == 0
    data = json.loads(out.read_text())
    assert data["interpolated"] == [2] and data["missing_frames"] == []


def test_detect_follows_a_person_id(tmp_path, replay_backend):
    out = tmp_path / "kp.json"
    assert main(["detect", str(_video(tmp_path / "in.avi")), "--out", str(out), "--person", "0",
                 "--no-progress"]) == 0
    assert json.loads(out.read_text())["person_id"] == 0


def test_unknown_person_id_is_a_one_line_error_and_writes_nothing(tmp_path, replay_backend, capsys):
    out = tmp_path / "kp.json"
    assert main(["detect", str(_video(tmp_path / "in.avi")), "--out", str(out), "--person", "5",
                 "--no-progress"]) == 1
    assert "person ID 5 was not tracked" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("content", [b"", b"plain text, not a video\n"])
def test_bad_video_is_a_one_line_error_naming_the_file(tmp_path, content, capsys):
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(content)
    assert main(["detect", str(bad), "--out", str(tmp_path / "kp.json"), "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and str(bad) in err and "\n" not in err


def test_nobody_in_view_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(detectors, "create_detector", lambda name, **options: ReplayDetector([]))
    video = _video(tmp_path / "empty.avi", frames=3)
    assert main(["detect", str(video), "--out", str(tmp_path / "kp.json"), "--no-progress"]) == 1
    assert f"error: {video}: nobody detected in any of the 3 frames" in capsys.readouterr().err


def test_missing_mmpose_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_mmpose(name, *args, **kwargs):
        if name.split(".")[0] in ("mmpose", "mmdet", "mmcv", "mmengine"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mmpose)
    video = _video(tmp_path / "in.avi", frames=2)
    assert main(["detect", str(video), "--out", str(tmp_path / "kp.json"), "--detector", "mmpose",
                 "--no-progress"]) == 1
    assert "make mmpose" in capsys.readouterr().err


def test_a_missing_output_folder_is_reported_before_any_detection(tmp_path, monkeypatch, capsys):
    def must_not_run(name, **options):
        raise AssertionError("detection started although the output cannot be written")

    monkeypatch.setattr(detectors, "create_detector", must_not_run)
    out = tmp_path / "no" / "such" / "kp.json"
    assert main(["detect", str(_video(tmp_path / "in.avi")), "--out", str(out), "--no-progress"]) == 1
    assert "output folder" in capsys.readouterr().err
