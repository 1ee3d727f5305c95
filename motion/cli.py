"""`python main.py export INPUT_3D --format bvh|csv|json|npz --out FILE`: convert a 3D result file."""

from __future__ import annotations

import argparse
from pathlib import Path

from pstmo.errors import InputError

from .exporters import FORMATS, export, format_for
from .result import load_result
from .rotations import EULER_ORDERS
from .smoothing import CHOICES, smooth
from .world import to_world


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="INPUT_3D", help="a 3D result file (.npz or .json) written by `process`")
    parser.add_argument("--out", required=True, help="output file")
    parser.add_argument("--format", choices=FORMATS, help="output format (default: from the --out suffix)")
    parser.add_argument("--up", choices=("y", "z"), default=None,
                        help="turn the motion into a world frame with this axis up, floor at 0 (BVH is always Y up)")
    parser.add_argument("--smoothing", choices=CHOICES, default="none",
                        help="smooth the joints before writing (default: none; `process` already smooths)")
    parser.add_argument("--smoothing-param", action="append", default=[], metavar="NAME=VALUE",
                        help="a smoothing parameter, repeatable (e.g. window_s=0.5; see docs/motion.md)")
    parser.add_argument("--euler-order", default="ZXY", choices=EULER_ORDERS,
                        help="BVH rotation channel order (default ZXY)")
    parser.add_argument("--bvh-scale", type=float, default=1.0,
                        help="BVH units per metre (1 = metres, 100 = centimetres)")


def _parameters(items: list[str]) -> dict[str, float]:
    params = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            params[name.strip()] = float(value)
        except ValueError:
            raise InputError(f"--smoothing-param {item!r}: expected NAME=NUMBER") from None
    return params


def run(args: argparse.Namespace) -> int:
    fmt = format_for(args.out, args.format)
    motion, _ = load_result(args.input)
    if args.smoothing != "none":
        motion = smooth(motion, args.smoothing, **_parameters(args.smoothing_param))
    if args.up is not None:
        motion = to_world(motion, up=args.up)
    options = {"order": args.euler_order, "scale": args.bvh_scale} if fmt == "bvh" else {}
    path = export(motion, args.out, format=fmt, **options)
    print(f"wrote {Path(path)} ({fmt}, {len(motion)} frames, {motion.frame})")
    return 0
