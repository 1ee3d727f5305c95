"""Frames per second of each 2D backend at 720p on this machine, as JSON.

    .venv/bin/python benchmarks/detector_speed.py [--frames 60] [--backends mediapipe,mmpose] [--out FILE]

Frames: the sample video (`assets/media/sports2d_demo.mp4`, else `../shared/media/`), resized to 1280x720,
decoded up front (decoding is not timed). Per backend it times `detect()` per frame and the whole
`detect_video` (detect + tracking + gap filling). MMPose runs with the configs' random weights unless
checkpoints are given (speed does not depend on the weights, except through how many boxes the person
detector returns: reported as `people_per_frame`). Torch runs with `--threads` (default 1): on a busy
2-core machine two threads were 30-90 times slower than one (OpenMP oversubscription). The load average
is recorded before and after: the numbers are only comparable at similar load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.report import emit, machine_info  # noqa: E402
from detectors import create_detector, detect_video  # noqa: E402
from pipeline.sources import FakeSource, VideoFileSource  # noqa: E402

SIZE = (1280, 720)


def sample_video() -> Path:
    for folder in (REPO / "assets" / "media", REPO.parent / "shared" / "media"):
        path = folder / "sports2d_demo.mp4"
        if path.is_file():
            return path
    raise SystemExit("sports2d_demo.mp4 not found in assets/media or ../shared/media")


def load_frames(count: int) -> list[np.ndarray]:
    frames = []
    with VideoFileSource(sample_video()) as source:
        for frame in source:
            if frame.index >= count:
                break
            frames.append(cv2.resize(frame.image, SIZE, interpolation=cv2.INTER_AREA))
    return frames


def time_backend(name: str, frames: list[np.ndarray], **options) -> dict:
    start = time.perf_counter()
    detector = create_detector(name, **options)
    load_s = time.perf_counter() - start
    try:
        detector.detect(frames[0])  # warm-up
        detector.reset()
        people = 0
        start = time.perf_counter()
        for image in frames:
            people += len(detector.detect(image))
        detect_s = time.perf_counter() - start
        start = time.perf_counter()
        detect_video(FakeSource(frames, fps=30), detector)
        video_s = time.perf_counter() - start
    finally:
        detector.close()
    return {
        "backend": name, "options": {k: str(v) for k, v in options.items()}, "frames": len(frames),
        "load_s": round(load_s, 2), "detect_fps": round(len(frames) / detect_s, 2),
        "ms_per_frame": round(1000 * detect_s / len(frames), 1),
        "detect_video_fps": round(len(frames) / video_s, 2), "people_per_frame": round(people / len(frames), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--backends", default="mediapipe,mmpose")
    parser.add_argument("--mmpose-config", default=None, help="pose config/alias (default: human = RTMPose-m)")
    parser.add_argument("--mmpose-checkpoint", default="none", help="'none' = random weights")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for MMPose (default 1: several threads on a busy machine are far slower)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        pass
    frames = load_frames(args.frames)
    load_before = os.getloadavg()
    results = []
    for backend in args.backends.split(","):
        runs = {"mediapipe": [{"max_people": 4}, {"max_people": 1}],
                "mmpose": [{"pose_config": args.mmpose_config, "pose_checkpoint": args.mmpose_checkpoint,
                            "det_config": "human", "det_checkpoint": "none", "det_score": 0.0, "max_people": 2},
                           {"pose_config": args.mmpose_config, "pose_checkpoint": args.mmpose_checkpoint,
                            "det_config": "none"}]}.get(backend, [{}])
        for options in runs:
            try:
                results.append(time_backend(backend, frames, **options))
            except Exception as error:  # noqa: BLE001 - a missing backend is reported, not fatal
                results.append({"backend": backend, "options": {k: str(v) for k, v in options.items()},
                                "error": str(error).splitlines()[0]})
    report = {
        "benchmark": "detector_speed", "image_size": list(SIZE), "video": sample_video().name,
        "machine": machine_info(),
        "torch_threads": args.threads,
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "results": results,
    }
    emit(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
