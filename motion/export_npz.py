"""NPZ export: the result record of `motion.result` without a 2D track (arrays plus a JSON `header`)."""

from __future__ import annotations

import os

from .motion import Motion
from .result import save_result


def write_npz(motion: Motion, path: str | os.PathLike) -> None:
    """Write `motion` as compressed NPZ (atomically): `joints`, optional `confidence`/`contacts`, `header`."""
    save_result(path, motion)
