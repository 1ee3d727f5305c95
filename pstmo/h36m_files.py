"""Human3.6M archives on disk: safe reading of `subject -> action -> arrays` dicts and the shared release's units.

Human3.6M / VideoPose3D / 3DHP `.npz` files keep their data as a pickled dict; they are read with
`pstmo.safe_npz` (no code in a file ever runs). The shared int16 release (`../shared/data/h36m`) stores
3D joints in tenths of a millimetre and Stacked Hourglass 2D in quarter pixels; `metres` and `pixels` are
the one place those units are undone. Training (`training.data_h36m`), the detector calibration and the
benchmarks all read the release through here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from pstmo.errors import InputError
from pstmo.safe_npz import item, read_npz

SHARED_3D = "data_3d_h36m_int16.npz"
"""`positions_3d`: subject -> action -> int16 (N, 17, 3), tenths of a millimetre, world frame, 50 fps."""
SHARED_SH_2D = "data_2d_h36m_sh_qpx_int16.npz"
"""`positions_2d`: subject -> action -> 4 int16 (N, 16, 2) per camera, quarter pixels, MPII-16 order."""

METRES_PER_UNIT = 1e-4
"""The shared 3D file's unit (a tenth of a millimetre) in metres."""
PIXELS_PER_UNIT = 0.25
"""The shared 2D file's unit (a quarter pixel) in pixels."""


def metres(positions: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
    """Shared-release int16 3D joints (tenths of a millimetre) -> metres, as `dtype`."""
    return np.asarray(positions).astype(dtype) * METRES_PER_UNIT


def pixels(keypoints: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
    """Shared-release int16 2D keypoints (quarter pixels) -> pixels, as `dtype`."""
    return np.asarray(keypoints).astype(dtype) * PIXELS_PER_UNIT


def _numeric(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind in "iuf"


def read_dict_archive(path: str | os.PathLike, key: str) -> tuple[dict, dict]:
    """(`key` of the archive: subject -> action -> numeric array or list of them, its `metadata` dict or {}),
    read without running any pickled code (the VideoPose3D layout, which the shared release follows).

    InputError naming the file and the field when it is missing, unreadable, hostile or differently shaped.
    """
    path = Path(path)
    arrays = read_npz(path, [key], optional=["metadata"])
    value = item(arrays[key])
    if not isinstance(value, dict):
        raise InputError(f"{path}: '{key}' must be a dict subject -> action -> array, "
                         f"not {type(value).__name__}")
    for subject, actions in value.items():
        if not isinstance(actions, dict):
            raise InputError(f"{path}: {key}/{subject} must be a dict action -> array, not {type(actions).__name__}")
        for action, entry in actions.items():
            if not (_numeric(entry) or isinstance(entry, (list, tuple)) and all(_numeric(v) for v in entry)):
                raise InputError(f"{path}: {key}/{subject}/{action} must be a numeric array or a list of them")
    metadata = item(arrays.get("metadata", {}))
    return value, metadata if isinstance(metadata, dict) else {}


def _subjects(path: Path, data: dict, subjects: Iterable[str] | None) -> list[str]:
    if subjects is None:
        return list(data)
    wanted = list(subjects)
    for subject in wanted:
        if subject not in data:
            raise InputError(f"{path}: no subject {subject} (has {', '.join(sorted(map(str, data)))})")
    return wanted


def _subject_actions(path: Path, key: str, subjects: Iterable[str] | None, kind: str
                     ) -> Iterator[tuple[str, dict]]:
    """(subject, its dict action -> value) of the archive's `key` dict, for the chosen subjects, checked."""
    data, _ = read_dict_archive(path, key)
    for subject in _subjects(path, data, subjects):
        actions = data[subject]
        if not isinstance(actions, dict):
            raise InputError(f"{path}: {key}/{subject} must be a dict action -> {kind}")
        yield subject, actions


def load_shared_3d(path: str | os.PathLike, subjects: Iterable[str] | None = None,
                   dtype: Any = np.float32) -> dict[str, dict[str, np.ndarray]]:
    """The shared 3D file as subject -> action -> (N, 17, 3) metres (world frame, 50 fps) of `dtype`."""
    path = Path(path)
    out: dict[str, dict[str, np.ndarray]] = {}
    for subject, actions in _subject_actions(path, "positions_3d", subjects, "array"):
        out[subject] = {}
        for action, array in actions.items():
            if not isinstance(array, np.ndarray) or array.ndim != 3 or array.shape[1:] != (17, 3):
                raise InputError(f"{path}: positions_3d/{subject}/{action} must be a (N, 17, 3) array")
            out[subject][action] = metres(array, dtype)
    return out


def load_shared_sh_2d(path: str | os.PathLike, subjects: Iterable[str] | None = None,
                      dtype: Any = np.float32) -> dict[str, dict[str, list[np.ndarray]]]:
    """The shared Stacked Hourglass file as subject -> action -> 4 (N, 16, 2) pixel arrays (MPII-16 order);
    a missing view is an empty (0, 16, 2) array."""
    path = Path(path)
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject, actions in _subject_actions(path, "positions_2d", subjects, "list of arrays"):
        out[subject] = {}
        for action, views in actions.items():
            if not isinstance(views, (list, tuple)) or not all(
                    isinstance(v, np.ndarray) and v.ndim == 3 and v.shape[1:] == (16, 2) for v in views):
                raise InputError(f"{path}: positions_2d/{subject}/{action} must be a list of (N, 16, 2) arrays")
            out[subject][action] = [pixels(view, dtype) for view in views]
    return out
