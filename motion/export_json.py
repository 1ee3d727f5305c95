"""JSON export: the result record of `motion.result` without a 2D track (joints in metres, with metadata)."""

from __future__ import annotations

import os

from .motion import Motion
from .result import save_result


def write_json(motion: Motion, path: str | os.PathLike) -> None:
    """Write `motion` as JSON (atomically): fps, units, coordinate frame, joint names, metadata, joints."""
    save_result(path, motion)
