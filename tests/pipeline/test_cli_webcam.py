"""`main.py webcam` runs live mode headless on any frame source, records it and reports latency as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import cv2

import main
from motion.result import load_result
from tests.pipeline.helpers import video_frames, write_video


def test_webcam_command_replays_a_video_as_live_records_it_and_saves_the_poses(capsys, tmp_path, shared_dir,
                                                                               causal_checkpoint):
    images = [cv2.resize(image, (640, 360)) for image in video_frames(shared_dir / "media" / "sports2d_demo.mp4", 12)]
    video = write_video(tmp_path / "clip.mp4", images)
    record = tmp_path / "recorded.mp4"
    code = main.main(["webcam", "--source", str(video), "--checkpoint", str(causal_checkpoint), "--record",
                      str(record), "--out", str(tmp_path / "live"), "--max-frames", "10"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["frames"] == 10 and summary["mode"] == "causal"
    assert summary["poses"] > 0 and summary["latency_ms_median"] > 0
    capture = cv2.VideoCapture(str(record))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 10
    capture.release()
    assert set(summary["outputs"]) == {"result", "csv", "bvh", "json", "npz"}
    assert all(Path(path).parent == tmp_path / "live" and Path(path).name.startswith("recorded.")
               for path in summary["outputs"].values()), "named after the recording"
    motion, track = load_result(summary["outputs"]["result"])
    assert motion.joints.shape == (10, 17, 3) and len(track) == 10


def test_a_missing_webcam_is_a_one_line_error(capsys, causal_checkpoint):
    code = main.main(["webcam", "--source", "7", "--checkpoint", str(causal_checkpoint), "--max-frames", "1"])
    err = capsys.readouterr().err
    assert code == 1
    assert "webcam:7" in err and "Traceback" not in err
