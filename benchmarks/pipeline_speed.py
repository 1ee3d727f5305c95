"""End-to-end speed of the pipeline: `process` frames/s on the sample video (native size and 720p) and live
latency (frame in -> 3D pose ready) with a causal model. Prints JSON; `--out FILE` also writes it there.

python benchmarks/pipeline_speed.py [--video assets/media/sports2d_demo.mp4] [--checkpoint FILE] [--frames 230]

The live model is the offline checkpoint's architecture made causal (untrained weights: speed does not
depend on the weight values). Frames are fed as fast as they are processed, so the latency is the work
per frame (detect + track + lift + filter), not waiting for a camera. The machine's load average is
recorded before and after: other work on the machine slows every number here.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.report import emit, load_average, machine_info  # noqa: E402


def resized_copy(video: Path, size: tuple[int, int], frames: int, folder: Path) -> Path:
    """The first `frames` frames of `video` resized to `size`, as an mp4v file (for the 720p number)."""
    import cv2

    capture = cv2.VideoCapture(str(video))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    out = folder / f"{video.stem}_{size[0]}x{size[1]}.mp4"
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for _ in range(frames):
        ok, image = capture.read()
        if not ok:
            break
        writer.write(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    writer.release()
    capture.release()
    return out


def process_speed(video: Path, checkpoint: Path, frames: int, flip: bool, out_dir: Path,
                  max_people: int | None = None) -> dict:
    """`process` on `video`; `max_people`: the MediaPipe backend's person slots (None = its default, 4)."""
    from pipeline.pipeline import Pipeline
    from pipeline.settings import PipelineSettings

    options = {} if max_people is None else {"max_people": max_people}
    pipeline = Pipeline(PipelineSettings(checkpoint=str(checkpoint), device="cpu", flip=flip, max_frames=frames,
                                         exports="csv,bvh,json,npz", detector_options=options))
    result = pipeline.process(video, out_dir)
    s = result.summary
    detect = s.stage_seconds.get("detect", 0.0)
    lift = s.stage_seconds.get("lift", 0.0)
    return {"video": str(video), "image_size": list(result.track.image_size), "frames": s.frames,
            "flip": flip, "seconds": round(s.seconds, 3), "fps": round(s.fps_achieved, 2),
            "detect_fps": round(s.frames / detect, 2) if detect else None,
            "lift_fps": round(s.frames / lift, 2) if lift else None,
            "stage_seconds": {k: round(v, 3) for k, v in s.stage_seconds.items()},
            "people": s.people, "missing_frames": s.missing_frames, "max_people": max_people or 4}


def causal_copy(checkpoint: Path, folder: Path) -> Path:
    """An untrained causal model with the checkpoint's architecture (when no causal model is shipped)."""
    import dataclasses

    import torch

    from pstmo import Lifter
    from pstmo.checkpoint import save_checkpoint
    from pstmo.model import PSTMO

    config = dataclasses.replace(Lifter.from_checkpoint(checkpoint, device="cpu").config, causal=True)
    torch.manual_seed(0)
    return save_checkpoint(folder / "causal", PSTMO(config), config, stage=2)


def live_latency(video: Path, checkpoint: Path, frames: int, flip: bool) -> dict:
    from pipeline.pipeline import Pipeline
    from pipeline.settings import PipelineSettings

    pipeline = Pipeline(PipelineSettings(checkpoint=str(checkpoint), device="cpu", flip=flip, max_frames=frames,
                                         live_mode="causal"))
    pipeline.load(live=True)
    latencies, lift_only = [], []
    start = time.perf_counter()
    count = 0
    for update in pipeline.live(str(video)):
        count += 1
        if update.latency_s is not None:
            latencies.append(update.latency_s)
    seconds = time.perf_counter() - start
    import torch

    stream = pipeline.lifter(live=True).stream((1280, 720), flip=flip)
    keypoints = np.random.default_rng(0).uniform(200, 600, (17, 2)).astype(np.float32)
    previous = torch.get_num_threads()
    torch.set_num_threads(pipeline.settings.torch_threads or previous)  # as in live mode
    for _ in range(100):
        t0 = time.perf_counter()
        stream.push(keypoints)
        lift_only.append(time.perf_counter() - t0)
    torch.set_num_threads(previous)
    ms = np.array(latencies) * 1000
    return {"video": str(video), "frames": count, "poses": len(latencies), "fps": round(count / seconds, 2),
            "flip": flip, "receptive_field": pipeline.lifter(live=True).receptive_field,
            "latency_ms_median": round(float(np.median(ms)), 1),
            "latency_ms_p95": round(float(np.percentile(ms, 95)), 1),
            "lift_push_ms_median": round(1000 * float(np.median(lift_only)), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", default=str(REPO / "assets" / "media" / "sports2d_demo.mp4"))
    parser.add_argument("--checkpoint", default=None, help="offline lifter (default: the shipped one)")
    parser.add_argument("--frames", type=int, default=230, help="frames per run")
    parser.add_argument("--no-flip", action="store_true")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args()

    import torch

    from pipeline.settings import default_checkpoint, default_live_checkpoint

    if args.threads:
        torch.set_num_threads(args.threads)
    checkpoint = Path(args.checkpoint) if args.checkpoint else default_checkpoint()
    if checkpoint is None:
        raise SystemExit("no checkpoint: pass --checkpoint (none shipped in assets/models/)")
    video = Path(args.video)
    flip = not args.no_flip
    report: dict = {"benchmark": "pipeline_speed", "machine": machine_info(), "load_before": load_average(),
                    "checkpoint": str(checkpoint), "command": " ".join(sys.argv)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        report["process_native"] = process_speed(video, checkpoint, args.frames, flip, folder / "native")
        video_720p = resized_copy(video, (1280, 720), args.frames, folder)
        report["process_720p"] = process_speed(video_720p, checkpoint, args.frames, flip, folder / "720p")
        report["process_720p_no_flip"] = process_speed(video_720p, checkpoint, args.frames, False, folder / "nf")
        report["process_720p_one_person"] = process_speed(video_720p, checkpoint, args.frames, True, folder / "one",
                                                          max_people=1)
        live_checkpoint = default_live_checkpoint() or causal_copy(checkpoint, folder)
        report["live_checkpoint"] = str(live_checkpoint)
        report["live_causal_720p"] = live_latency(video_720p, live_checkpoint, args.frames, False)
    report["load_after"] = load_average()
    emit(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
