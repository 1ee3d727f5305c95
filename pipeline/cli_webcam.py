"""`python main.py webcam`: live 3D from a webcam (or a video replayed at its frame rate, as if live), headless,
optionally recorded. Frames that arrive while the pipeline is busy are dropped, never queued; the JSON
summary at the end counts them (`frames` arrived, `processed`, `dropped`) beside the processed frame rate
and the latency from frame arrival to 3D pose (median, 95th percentile). With `--out` the session is saved
as `process` saves a video (`pipeline.live_capture`): a result file and the `--export` formats, one file per
person with `--person all`, named after the recording (`--record`) or the source."""

from __future__ import annotations

import argparse
import json
import sys
import threading

from pipeline.cli_detect import detector_options
from pipeline.cli_process import add_model_options, add_motion_options, motion_settings
from pipeline.settings import PipelineSettings
from pipeline.sources import short_read_message
from pstmo.atomic import check_output_folder
from pstmo.errors import InputError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", default="0",
                        help="webcam index (default 0), or a video file/folder to replay as if live")
    parser.add_argument("--size", default=None, help="webcam resolution WxH, e.g. 1280x720")
    parser.add_argument("--mode", default="causal", choices=("causal", "centred"),
                        help="causal: low latency; centred: accurate, delayed by half a window")
    parser.add_argument("--record", default=None, help="also write the incoming frames to this video file")
    parser.add_argument("--out", default=None,
                        help="at the end, save the session into this folder as `process` does: a result file "
                             "and the --export formats (per person with --person all)")
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    parser.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    add_model_options(parser)
    add_motion_options(parser)


def _parse_size(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        w, h = text.lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise InputError(f"--size must look like 1280x720, got {text!r}") from None


def open_live_source(spec: str, size: tuple[int, int] | None = None):
    """A webcam for an integer spec ('0'), otherwise a file/folder source."""
    from pipeline.sources import WebcamSource, open_source

    if spec.isdigit():
        return WebcamSource(int(spec), size)
    return open_source(spec)


def run(args: argparse.Namespace) -> int:
    from pipeline.live_capture import LiveCapture, capture_result
    from pipeline.pipeline import Pipeline

    settings = PipelineSettings(detector=args.detector, detector_options=detector_options(args),
                                checkpoint=args.checkpoint, device=args.device, precision=args.precision,
                                flip=not args.no_flip, smoothing=args.smoothing, person=args.person,
                                live_mode=args.mode, max_frames=args.max_frames, **motion_settings(args))
    if args.out:
        check_output_folder(args.out, create=False)  # before the session, not after it
    source = open_live_source(args.source, _parse_size(args.size))
    cancel = threading.Event()
    pipeline = Pipeline(settings)
    session = pipeline.live(source, cancel=cancel, duration_s=args.duration, record=args.record, realtime=True)
    frames = session.frames
    capture = LiveCapture.of(session, name=args.record) if args.out else None
    poses = 0
    try:
        for n, update in enumerate(session, start=1):
            poses += update.pose is not None
            if capture is not None:
                capture.add(update)
            if n % 15 == 0:
                lat = f"{1000 * update.latency_s:.0f} ms" if update.latency_s is not None else "-"
                print(f"\rframe {update.frame.index + 1}  {update.fps:5.1f} fps  latency {lat}  "
                      f"dropped {update.dropped}  person {update.person_id}   ", end="", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        cancel.set()
    print(file=sys.stderr)
    stats = session.stats.summary()
    summary = {"frames": stats["frames_in"], "processed": stats["processed"], "dropped": stats["dropped"],
               "seconds": stats["seconds"], "fps": stats["fps_processed"], "poses": poses, "mode": args.mode,
               "latency_ms_median": stats["latency_ms_median"], "latency_ms_p95": stats["latency_ms_p95"],
               "two_d_ms_median": stats["two_d_ms_median"], "lift_ms_median": stats["lift_ms_median"],
               "record": args.record, "warnings": []}
    # a replayed file that breaks off: the one "read K of N frames" wording
    short_read = short_read_message(frames.name, frames.frames_read, frames.frame_count)
    if frames.truncated and short_read and not cancel.is_set():
        summary["warnings"].append(short_read)
        print(f"warning: {short_read}", file=sys.stderr)
    if capture is not None:
        if capture.kept_people():
            result = capture_result(pipeline, capture, seconds=stats["seconds"])
            summary["outputs"] = pipeline.write_outputs(result, args.out)
            summary["lifted"] = [p.person_id for p in result.people]
        else:
            summary["warnings"].append(f"{frames.name}: nobody was lifted, nothing saved to {args.out}")
            print(f"warning: {summary['warnings'][-1]}", file=sys.stderr)
    print(json.dumps(summary))
    return 0
