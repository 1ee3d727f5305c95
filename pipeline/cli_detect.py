"""`python main.py detect INPUT --out FILE.json`: 2D keypoints of one person from a video, image folder or image.

The JSON holds `joints` (the 17 H36M names), `image_size` [w, h], `fps`, the chosen person's `keypoints`
(T x 17 x [x, y] pixels, null where missing) and `confidence` (T x 17), every tracked person under
`people`, suspected `id_switches`, `frames` read and `missing_frames`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from pstmo.atomic import check_output_folder, check_output_path, write_json_atomic
from pstmo.errors import InputError
from pstmo.skeleton import H36M_JOINTS


def add_detector_options(parser: argparse.ArgumentParser) -> None:
    """The 2D backend and its options: shared by `detect`, `process` and `webcam`."""
    parser.add_argument("--detector", default="mediapipe", choices=("mediapipe", "mmpose"),
                        help="2D backend (default: mediapipe, offline)")
    parser.add_argument("--max-people", type=int, default=4, help="most people tracked per frame (default 4)")
    parser.add_argument("--mmpose-config", help="MMPose 2D config file or model-zoo alias (with --detector mmpose)")
    parser.add_argument("--mmpose-checkpoint", help="MMPose checkpoint file or URL (with --detector mmpose)")
    parser.add_argument("--mmpose-det-config", default="human",
                        help="MMDetection person detector config or alias (default: human = RTMDet-m); "
                             "'none' = the whole frame is one person")
    parser.add_argument("--mmpose-det-checkpoint", help="person detector checkpoint file or URL")
    parser.add_argument("--mmpose-device", default="cpu", help="torch device for MMPose (default cpu)")


def detector_options(args: argparse.Namespace) -> dict:
    """Keyword options for `detectors.create_detector(args.detector, **options)` from the parsed flags."""
    if args.detector == "mediapipe":
        return {"max_people": args.max_people}
    return {"pose_config": args.mmpose_config, "pose_checkpoint": args.mmpose_checkpoint,
            "det_config": args.mmpose_det_config, "det_checkpoint": args.mmpose_det_checkpoint,
            "device": args.mmpose_device, "max_people": args.max_people}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="video file, image file, folder of images, or webcam:N")
    parser.add_argument("--out", required=True, type=Path,
                        help="output file: .json (every tracked person) or .csv (the chosen person's track)")
    add_detector_options(parser)
    parser.add_argument("--person", default="main",
                        help="whom to follow: 'main' (default: box height x frames seen), 'largest', 'longest' "
                             "or a track ID from a previous run")
    parser.add_argument("--max-gap", type=int, default=15,
                        help="interpolate gaps of at most this many frames (default 15); longer ones stay null")
    parser.add_argument("--min-confidence", type=float, default=0.3,
                        help="joints below this confidence are marked and bridged like gaps (default 0.3)")
    parser.add_argument("--max-frames", type=int, default=None, help="stop after this many frames (webcam)")
    parser.add_argument("--fps", type=float, default=None, help="frame rate of an image folder (default 30)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _round_points(points: np.ndarray) -> list:
    return [None if not np.isfinite(p).all() else [round(float(p[0]), 2), round(float(p[1]), 2)] for p in points]


def result_to_json(result, detector_name: str) -> dict:
    """JSON-ready dict of a `DetectionResult` (see the module docstring for the keys)."""
    track = result.track
    extra = track.extra
    return {
        "joints": list(H36M_JOINTS),
        "image_size": list(track.image_size),
        "fps": track.fps,
        "source": track.source,
        "detector": detector_name,
        "person_id": result.target_id,
        "keypoints": [_round_points(frame) for frame in track.keypoints],
        "confidence": [[round(float(c), 3) for c in frame] for frame in track.confidence],
        "interpolated": [int(i) for i in np.flatnonzero(track.interpolated)],
        "low_confidence": [[int(j) for j in np.flatnonzero(row)] for row in extra.get("low_confidence", [])],
        "long_gaps": [list(gap) for gap in extra.get("long_gaps", [])],
        "max_gap": extra.get("max_gap"),
        "people": [record.to_json() for record in result.tracks.values()],
        "id_switches": result.id_switches,
        "relinks": result.relinks,
        "frames": result.frames_read,
        "missing_frames": result.missing_frames,
        "empty_frames": result.empty_frames,
        "truncated": result.truncated,
    }


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from detectors import create_detector, detect_video
    from detectors.tracker import parse_person
    from pipeline.sources import LimitedSource, open_source, short_read_message

    person = parse_person(args.person)
    check_output_path(args.out)  # fail before the (long) detection, not after
    check_output_folder(args.out.parent, create=False)
    if args.max_gap < 0:
        raise InputError(f"--max-gap must be >= 0; got {args.max_gap}")
    options = detector_options(args)
    with open_source(args.input, fps=args.fps) as source:
        if args.max_frames is not None:
            source = LimitedSource(source, args.max_frames)
        elif source.frame_count is None:
            raise InputError(f"{source.name}: a live source needs --max-frames")
        detector = create_detector(args.detector, **options)
        bar = tqdm(total=source.frame_count, unit="frame", desc="detect", disable=args.no_progress, file=sys.stderr)
        try:
            result = detect_video(source, detector, person=person, max_gap=args.max_gap,
                                  min_confidence=args.min_confidence,
                                  progress=lambda done, total: bar.update(done - bar.n))
        finally:
            bar.close()
            detector.close()
    if args.out.suffix.lower() == ".csv":  # the chosen person only (layout in tracks/track_io.py)
        from tracks.track_io import write_track_csv

        write_track_csv(result.track, args.out)
    else:
        write_json_atomic(args.out, result_to_json(result, args.detector), separators=(",", ":"))
    track = result.track
    found = int((~track.missing).sum())
    print(f"{args.out}: person {result.target_id} in {found}/{result.frames_read} frames "
          f"({int(track.interpolated.sum())} interpolated), {len(result.tracks)} people tracked, "
          f"{len(result.id_switches)} suspected ID switches")
    short_read = short_read_message(track.source, result.frames_read, source.frame_count)
    if result.truncated and short_read:
        print(f"warning: {short_read}", file=sys.stderr)
    return 0
