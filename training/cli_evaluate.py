"""`python main.py evaluate --checkpoint FILE --data DIR --input gt|sh|cpn|detectron|gt+noise [--every K] [--json OUT]`.

Human3.6M: Protocol 1 (MPJPE) and 2 (P-MPJPE), N-MPJPE and MPJVE per action on S9 and S11, averaged over
the 15 actions. MPI-INF-3DHP (`--dataset 3dhp`, or a folder holding `data_test_3dhp.npz`): PCK@150 mm,
AUC and MPJPE on the valid frames of TS1-TS6. Prints a table; `--json` writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pstmo.device import PRECISIONS
from pstmo.errors import InputError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="Stage II checkpoint (.json / .safetensors, ours)")
    parser.add_argument("--data", required=True, help="dataset folder (H36M: ../shared/data/h36m)")
    parser.add_argument("--dataset", choices=["auto", "h36m", "3dhp"], default="auto")
    parser.add_argument("--input", default="gt", choices=["gt", "sh", "cpn", "detectron", "gt+noise"],
                        help="2D input for H36M (3DHP uses its own 2D)")
    parser.add_argument("--noise-px", type=float, default=5.0, help="sigma of gt+noise, pixels")
    parser.add_argument("--every", type=int, default=1, help="evaluate every K-th frame (quick runs)")
    parser.add_argument("--subjects", default="S9,S11", help="H36M test subjects")
    parser.add_argument("--cameras", default=None, help="H36M cameras JSON (default DIR/h36m_cameras.json)")
    parser.add_argument("--no-flip", action="store_true", help="no flip test-time augmentation")
    parser.add_argument("--batch", type=int, default=None, help="frames per forward pass (default: the lifter's)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto", choices=PRECISIONS,
                        help="lifter precision (default auto: bfloat16 on CUDA and on CPUs with native bfloat16)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", default=None, help="write the results here (JSON)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _dataset_kind(args: argparse.Namespace) -> str:
    if args.dataset != "auto":
        return args.dataset
    return "3dhp" if (Path(args.data) / "data_test_3dhp.npz").is_file() else "h36m"


def run(args: argparse.Namespace) -> int:
    import torch

    from pstmo.device import resolve_device
    from pstmo.lifter import Lifter
    from training.evaluation import evaluate_3dhp, evaluate_h36m, format_3dhp_table, format_h36m_table
    from training.run_state import write_json_atomic

    if args.every < 1:
        raise InputError(f"--every must be >= 1, got {args.every}")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    lifter = Lifter.from_checkpoint(args.checkpoint, device=device, dtype=args.precision)
    kind = _dataset_kind(args)
    started = time.time()
    bar = None
    progress = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(desc="evaluate", unit="frame", dynamic_ncols=True)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

    common = dict(every=args.every, flip=not args.no_flip, batch_size=args.batch, progress=progress)
    try:
        if kind == "h36m":
            from training.data_h36m import load_h36m

            subjects = [s.strip() for s in args.subjects.split(",") if s.strip()]
            sequences = load_h36m(args.data, subjects, input_2d=args.input, noise_px=args.noise_px,
                                  cameras_path=args.cameras)
            report = evaluate_h36m(lifter, sequences, **common)
            table = format_h36m_table(report)
        else:
            from training.data_3dhp import load_3dhp

            sequences = load_3dhp(args.data, "test")
            report = evaluate_3dhp(lifter, sequences, **common)
            table = format_3dhp_table(report)
    finally:
        if bar is not None:
            bar.close()
    report.update({
        "checkpoint": str(args.checkpoint), "data": str(args.data), "dataset": kind,
        "input": args.input if kind == "h36m" else "3dhp", "flip": not args.no_flip,
        "seconds": round(time.time() - started, 1), "device": str(device), "dtype": str(lifter.dtype),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })
    if kind == "h36m" and args.input == "gt+noise":
        report["noise_px"] = args.noise_px
    print(table)
    if args.json:
        write_json_atomic(Path(args.json), report)
        print(f"wrote {args.json}")
    else:
        print(json.dumps({k: report[k] for k in report if k.endswith("_mm") or k in ("pck", "auc")}))
    return 0
