"""One entry point for every export format: `export(motion, path, format=None, **options)`."""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any

from pstmo.errors import InputError

from .motion import Motion

FORMATS: tuple[str, ...] = ("csv", "bvh", "json", "npz")
"""Every export format, in the order `process` writes them by default."""


def format_for(path: str | os.PathLike, format: str | None = None) -> str:
    """The export format: `format` when given, else from the path's suffix; InputError when neither names one."""
    chosen = (format or Path(path).suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise InputError(f"{path}: unknown export format {chosen or '(no suffix)'!r}; use one of {', '.join(FORMATS)}")
    return chosen


def export(motion: Motion, path: str | os.PathLike, format: str | None = None, **options: Any) -> Path:
    """Write `motion` to `path` as BVH, CSV, JSON or NPZ (by `format`, else by suffix), atomically.

    Options: BVH `order` ("ZXY"), `scale` (units per metre, 1.0); CSV `confidence` (True), `precision` (6).
    Raises InputError for a bad path, an option the format does not take, NaN joints or an empty motion.
    """
    chosen = format_for(path, format)
    if chosen == "bvh":
        from .export_bvh import write_bvh as writer
    elif chosen == "csv":
        from .export_csv import write_csv as writer
    elif chosen == "json":
        from .export_json import write_json as writer
    else:
        from .export_npz import write_npz as writer
    try:
        inspect.signature(writer).bind(motion, path, **options)
    except TypeError as exc:
        raise InputError(f"{path}: bad option for {chosen} export ({exc})") from None
    writer(motion, path, **options)
    return Path(path)
