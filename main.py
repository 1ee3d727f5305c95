"""Command-line entry point: `python main.py SUBCOMMAND ...`.

Each subcommand lives in the package that owns it and is imported only when used, so `--help` is
fast and the core stays importable without Qt. A subcommand module provides
`configure(parser: argparse.ArgumentParser) -> None` and `run(args: argparse.Namespace) -> int`.
Bad input (`pstmo.errors.InputError`) prints as one line `error: <file>: <problem>` and exits with 1; any
other exception is a bug and prints one line `internal error (a bug): ...`, exit code 70. Ctrl-C exits with
130, a usage error with 2 (argparse). Set PSTMO_DEBUG=1 to see the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from pstmo.errors import EXIT_BUG, EXIT_INPUT_ERROR, InputError, debugging, one_line

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # FFmpeg's own stderr chatter; our errors say what failed

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("app.cli", "open the desktop app (optionally on a video; --screenshot for scripts)"),
    "process": ("pipeline.cli_process", "video -> 2D keypoints -> 3D -> exports, headless"),
    "webcam": ("pipeline.cli_webcam", "live 3D from a webcam, headless, optionally recorded"),
    "detect": ("pipeline.cli_detect", "2D keypoints of one person from a video or image, as JSON"),
    "export": ("motion.cli", "convert a 3D result (NPZ/JSON) to BVH, CSV, JSON or NPZ"),
    "train": ("training.cli_train", "Stage I pre-training or Stage II fine-tuning from a YAML config"),
    "evaluate": ("training.cli_evaluate", "Protocol 1/2 (and more) of a checkpoint on H36M or 3DHP"),
}


def _top_level_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="P-STMO video/webcam to 3D human motion.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="subcommands:\n"
        + "\n".join(f"  {name:<10} {help_text}" for name, (_, help_text) in SUBCOMMANDS.items())
        + "\n\nRun `python main.py SUBCOMMAND --help` for its options.",
    )
    parser.add_argument("subcommand", choices=sorted(SUBCOMMANDS), metavar="SUBCOMMAND",
                        help="one of: " + ", ".join(SUBCOMMANDS))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = _top_level_parser()
    if not argv or argv[0] in ("-h", "--help"):
        top.print_help()
        return 0 if argv else 2
    name = argv[0]
    if name not in SUBCOMMANDS:
        top.error(f"unknown subcommand {name!r}")
    module_name, help_text = SUBCOMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"main.py {name}", description=help_text)
    module.configure(parser)
    args = parser.parse_args(argv[1:])
    if debugging():
        return int(module.run(args) or 0)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print(f"{name}: cancelled", file=sys.stderr)
        return 130
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except Exception as error:  # noqa: BLE001 - a bug: one line, not a traceback (PSTMO_DEBUG=1 shows it)
        print(one_line(error), file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
