"""Atomic file writes and the checks every exporter makes before writing."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np

from pstmo.errors import InputError

from .motion import Motion


def check_output_path(path: str | os.PathLike) -> Path:
    """The output path as a Path; InputError when its folder is missing or it names a folder."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file name")
    if not path.parent.is_dir():
        raise InputError(f"{path}: folder {path.parent} does not exist")
    return path


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


def write_atomically(path: str | os.PathLike, write: Callable[[IO], None], binary: bool = False) -> Path:
    """Call `write(file)` on a temporary file in `path`'s folder, then move it onto `path` (never half a file)."""
    path = check_output_path(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        text_options = {} if binary else {"encoding": "utf-8", "newline": "\n"}
        with os.fdopen(descriptor, "wb" if binary else "w", **text_options) as file:
            write(file)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return path
