"""`python main.py export INPUT_3D --format bvh|csv|json|npz --out FILE [--person ID|all]`: convert a 3D result
file; of a multi-person result, the main person (default), one person by id, or everyone (one file each,
`<out stem>.person<ID>.<format>`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pstmo.errors import InputError

from .exporters import FORMATS, export, format_for
from .motion import Motion
from .result import PersonRecord, load_people
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
    parser.add_argument("--person", default=None,
                        help="of a multi-person result: a person's id (0 or #0), or 'all' for one file per person "
                             "(OUT.person<ID>.<format>); default: the main person")


def _parameters(items: list[str]) -> dict[str, float]:
    params = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            params[name.strip()] = float(value)
        except ValueError:
            raise InputError(f"--smoothing-param {item!r}: expected NAME=NUMBER") from None
    return params


def chosen_people(path: str, people: list[PersonRecord], person: str | None) -> list[PersonRecord]:
    """The people `--person` picks from a result file's (None: the main one, first); InputError naming the file
    and the ids it holds otherwise."""
    if person is None:
        return people[:1]
    text = str(person).strip().lower().removeprefix("#").strip()
    if text in ("all", "everyone"):
        return people
    ids = ", ".join(f"#{p.person_id}" for p in people if p.person_id is not None) or "none"
    if not text.isdigit():
        raise InputError(f"--person must be a person's id (0 or #0) or 'all', got {person!r}")
    chosen = [p for p in people if p.person_id == int(text)]
    if not chosen:
        raise InputError(f"{path}: no person #{int(text)} in this result (it holds {ids})")
    return chosen


def person_path(out: str, person_id: int | None) -> Path:
    """`--person all`: 'dir/clip.bvh' -> 'dir/clip.person3.bvh'."""
    path = Path(out)
    return path.with_name(f"{path.stem}.person{person_id if person_id is not None else 0}{path.suffix}")


def run(args: argparse.Namespace) -> int:
    fmt = format_for(args.out, args.format)
    people = chosen_people(args.input, load_people(args.input), args.person)
    every = str(args.person).strip().lower() in ("all", "everyone")
    options = {"order": args.euler_order, "scale": args.bvh_scale} if fmt == "bvh" else {}
    motions: list[tuple[Path, Motion]] = []
    for person in people:  # all converted before any is written: a bad option fails before the first file
        motion = person.motion if args.person is None else person.motion.seen_part()
        if args.smoothing != "none":
            motion = smooth(motion, args.smoothing, **_parameters(args.smoothing_param))
        if args.up is not None:
            motion = to_world(motion, up=args.up)
        motions.append((person_path(args.out, person.person_id) if every else Path(args.out), motion))
    for out, motion in motions:
        path = export(motion, out, format=fmt, **options)
        who = f"person #{motion.metadata.get('person_id')}, " if every else ""
        print(f"wrote {Path(path)} ({fmt}, {who}{len(motion)} frames, {motion.frame})")
    return 0
