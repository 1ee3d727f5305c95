"""The check every exporter makes before writing (atomic writes themselves are `pstmo.atomic`)."""

from __future__ import annotations

import os

import numpy as np

from pstmo.errors import InputError

from .motion import Motion


def check_exportable(motion: Motion, path: str | os.PathLike) -> None:
    """InputError naming `path` when the motion is empty or has NaN/inf joints."""
    if len(motion) == 0:
        raise InputError(f"{path}: nothing to export (the motion has no frames)")
    bad = ~np.isfinite(motion.joints).all(axis=(1, 2))
    if bad.any():
        raise InputError(
            f"{path}: motion has NaN/inf joints in {int(bad.sum())} of {len(motion)} frames "
            f"(first: frame {int(np.argmax(bad))}); fill or trim them before exporting"
        )

