"""`python main.py process VIDEO --out DIR`: video -> 2D keypoints -> 3D -> result + exports, headless."""

from __future__ import annotations

import argparse
import json
import sys
import threading

from motion.exporters import FORMATS
from motion.smoothing import CHOICES as SMOOTHING_CHOICES
from pipeline.cli_detect import add_detector_options, detector_options
from pipeline.settings import PEOPLE_SCALES, UP_AXES, PipelineSettings
from pstmo.device import PRECISIONS


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `process` and `webcam`: detector, checkpoint, device, person, flip, smoothing."""
    add_detector_options(parser)
    parser.add_argument("--checkpoint", default=None, help="lifter checkpoint (default: the one in assets/models/)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--precision", default="auto", choices=PRECISIONS,
                        help="lifter precision (default auto: bfloat16 on CUDA and on CPUs with native bfloat16)")
    parser.add_argument("--person", default="main",
                        help="whom to follow: 'main' (default: box height x frames seen), 'largest', 'longest', "
                             "a tracker id, or 'all' (process: everyone seen >= 1 s, one file per person and "
                             "format, <video>.person<ID>.<ext>; webcam: everyone followed live)")
    parser.add_argument("--no-flip", action="store_true", help="disable flip test-time augmentation")
    parser.add_argument("--smoothing", default="savgol", choices=SMOOTHING_CHOICES,
                        help="3D smoothing filter (savgol: least lag offline; live mode always uses one_euro)")


def add_motion_options(parser: argparse.ArgumentParser) -> None:
    """The motion options of the GUI's Export dialog (`process` and `webcam --out`): formats, world frame, root
    trajectory, foot lock, constant bones, up axis, several people's sizes."""
    parser.add_argument("--export", default=",".join(FORMATS),
                        help=f"comma-separated formats among {','.join(FORMATS)} (default: all)")
    parser.add_argument("--no-world", action="store_true",
                        help="keep the camera frame (default: a world frame, floor at 0, up axis vertical)")
    parser.add_argument("--no-root-trajectory", action="store_true",
                        help="leave the root at the origin (default: the person moves through the scene)")
    parser.add_argument("--foot-lock", action="store_true", help="lock feet in contact with the floor")
    parser.add_argument("--constant-bones", action="store_true", help="one bone length each (a rigid skeleton)")
    parser.add_argument("--up", default="y", choices=UP_AXES, help="vertical axis of the world frame (default y)")
    parser.add_argument("--people-scale", default="height_prior", choices=PEOPLE_SCALES,
                        help="with --person all, how each person's size is chosen: height_prior (default: an adult "
                             "each) or floor (everyone's feet on one floor: children, very tall or short people)")


def motion_settings(args: argparse.Namespace) -> dict:
    """`PipelineSettings` fields from `add_motion_options`' flags."""
    return {"exports": args.export, "world": not args.no_world, "root_trajectory": not args.no_root_trajectory,
            "foot_lock": args.foot_lock, "constant_bones": args.constant_bones, "up": args.up,
            "people_scale": args.people_scale}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", help="video file, image folder or image")
    parser.add_argument("--out", required=True, help="output folder")
    add_model_options(parser)
    add_motion_options(parser)
    parser.add_argument("--max-frames", type=int, default=None, help="process only the first N frames")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON instead of one line")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


class TqdmProgress:
    """One tqdm bar per pipeline stage, on stderr."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.stage: str | None = None
        self.bar = None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=f"{stage:<7}", unit="frame" if stage in ("detect", "lift") else "step",
                            file=sys.stderr, leave=False, dynamic_ncols=True)
        if total is not None and self.bar.total != total:
            self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run(args: argparse.Namespace) -> int:
    from pipeline.pipeline import Cancelled, Pipeline

    settings = PipelineSettings(detector=args.detector, detector_options=detector_options(args),
                                checkpoint=args.checkpoint, device=args.device, precision=args.precision,
                                flip=not args.no_flip, smoothing=args.smoothing, person=args.person,
                                max_frames=args.max_frames, **motion_settings(args))
    progress = TqdmProgress(enabled=not args.quiet)
    cancel = threading.Event()
    try:
        result = Pipeline(settings).process(args.video, args.out, progress=progress, cancel=cancel)
    except (KeyboardInterrupt, Cancelled):
        cancel.set()
        print("process: cancelled", file=sys.stderr)
        return 130
    finally:
        progress.close()
    summary = result.summary
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2))
    else:
        print(summary.line())
        for warning in summary.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        for kind, path in summary.outputs.items():
            print(f"  {kind:<6} {path}")
    return 0
