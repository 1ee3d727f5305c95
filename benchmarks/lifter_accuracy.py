"""Accuracy of a lifter checkpoint on Human3.6M (GT 2D and Stacked Hourglass 2D) and, never trained on,
the CMU BVH clips seen by virtual cameras: the numbers every campaign candidate is compared by.

    python benchmarks/lifter_accuracy.py --checkpoint assets/models/default.json [--every 20] [--out FILE]

- H36M: S9 + S11, Protocol 1 / 2 per action, every `--every`-th frame, through `pstmo.Lifter` with flip
  (the same call as `main.py evaluate`, which gives the full tables); GT 2D also at 25 fps (every other
  frame of each clip: the frame rate of much real video, where motion moves twice as far per frame), and
  that 25 fps input cut into short clips (4 s, 100 frames, each lifted on its own like a phone clip: a long
  window sees more edge padding there).
- CMU (cross-dataset): every clip of `../shared/data/cmu_bvh`, H36M-17 joints from the BVH, four seeded
  virtual cameras each (3-6 m, 0.8-2 m high, focal 0.8-1.6 x width), exact 2D: P-MPJPE and MPJPE.
Prints one JSON object; `--out` also writes it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from benchmarks.report import emit, machine_info  # noqa: E402
from pstmo.lifter import Lifter  # noqa: E402
from training.data_bvh import load_bvh_folder  # noqa: E402
from training.data_h36m import load_h36m  # noqa: E402
from training.evaluation import evaluate_h36m  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SHORT_CLIP_FRAMES = 100
"""Length of the short clips (frames at 25 fps: 4 s)."""


def score(lifter: Lifter, sequences: list, every: int) -> dict:
    report = evaluate_h36m(lifter, sequences, every=every, flip=True)
    keys = ("mpjpe_mm", "p_mpjpe_mm", "mpjve_mm", "frames")
    return {key: round(report[key], 2) if isinstance(report[key], float) else report[key] for key in keys}


def halved_rate(sequences: list) -> list:
    """Every other frame of each clip (50 -> 25 fps)."""
    return [s.select(slice(None, None, 2), fps=s.fps / 2) for s in sequences]


def short_clips(sequences: list, length: int) -> list:
    """Each clip cut into consecutive pieces of `length` frames (a shorter tail piece is dropped)."""
    return [s.select(slice(start, start + length), name=f"{s.name}@{start}")
            for s in sequences for start in range(0, len(s) - length + 1, length)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--every", type=int, default=20, help="H36M: every k-th frame")
    parser.add_argument("--h36m", default=str(SHARED / "h36m"))
    parser.add_argument("--cmu", default=str(SHARED / "cmu_bvh"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lifter = Lifter.from_checkpoint(args.checkpoint, device="cpu")
    started = time.time()
    results = {}
    for name in ("gt", "sh"):
        sequences = load_h36m(args.h36m, ["S9", "S11"], input_2d=name)
        results[f"h36m_{name}"] = score(lifter, sequences, args.every)
        if name == "gt":
            halved = halved_rate(sequences)
            results["h36m_gt_25fps"] = score(lifter, halved, max(1, args.every // 2))
            results["h36m_gt_25fps_4s_clips"] = score(lifter, short_clips(halved, SHORT_CLIP_FRAMES),
                                                      max(1, args.every // 2))
    results["cmu_virtual"] = score(lifter, load_bvh_folder(args.cmu, fps=50.0, views=4, seed=0), 1)
    emit({
        "benchmark": "lifter_accuracy", "checkpoint": args.checkpoint, "model": lifter.config.to_dict(),
        "training": lifter.metadata.get("training", {}), "every": args.every, "flip": True,
        "precision": str(lifter.dtype).removeprefix("torch."), **results,
        "seconds": round(time.time() - started, 1), **machine_info(),
    }, args.out)


if __name__ == "__main__":
    main()
