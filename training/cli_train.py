"""`python main.py train pretrain|finetune --config FILE [key=value ...] [--resume] [--out DIR]`.

Runs Stage I (pretrain) or Stage II (finetune) as the YAML config says; `key=value` overrides any setting.
Under `torchrun --nproc_per_node K main.py train ...` the same command trains with DDP.
SIGTERM / Ctrl-C stop at the next batch; the last complete epoch stays on disk for `--resume`.
"""

from __future__ import annotations

import argparse
import signal
import threading

from training.config import load_config

STAGES = {"pretrain": 1, "finetune": 2}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stage", choices=sorted(STAGES), help="pretrain = Stage I (MPM), finetune = Stage II")
    parser.add_argument("--config", required=True, help="YAML settings file (see configs/)")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="override settings, e.g. epochs=5")
    parser.add_argument("--resume", action="store_true", help="continue from the run folder's last epoch")
    parser.add_argument("--out", default=None, help="output folder (default: the config's out_dir)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    # key=value overrides may come before or after the options (`--config FILE epochs=5 --resume`):
    # argparse accepts positionals split by options only with intermixed parsing.
    parser.parse_args = parser.parse_intermixed_args  # type: ignore[method-assign]


def run(args: argparse.Namespace) -> int:
    from pstmo.atomic import check_output_folder
    from training.trainer import run_dir_for, train

    config = load_config(args.config, args.overrides)
    check_output_folder(run_dir_for(config, STAGES[args.stage], args.out), create=False)
    cancel = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    try:
        result = train(config, STAGES[args.stage], resume=args.resume, out=args.out, cancel=cancel,
                       show_tqdm=not args.quiet)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if result.status == "cancelled":
        print(f"train: cancelled after epoch {result.epochs_done}; resume with --resume ({result.run_dir})")
        return 130
    best = f"{result.best_metric:.4g}" if result.best_metric is not None else "-"
    metric = "val MPJPE mm" if STAGES[args.stage] == 2 else "reconstruction loss"
    print(f"train: {args.stage} done, {result.epochs_done} epochs; best epoch {result.best_epoch} ({metric} {best})")
    print(f"checkpoint: {result.best_checkpoint}")
    return 0
