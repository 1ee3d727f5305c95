"""Fixtures for the motion tests: small real slices of Human3.6M and CMU, and generated motion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from motion.export_bvh import rest_positions
from pstmo.skeleton import H36M_BONES


@pytest.fixture(scope="session")
def h36m_3d(shared_dir: Path) -> dict:
    """subject -> action -> (N, 17, 3) world metres (Z up, 50 fps)."""
    path = shared_dir / "data" / "h36m" / "data_3d_h36m_int16.npz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    from pstmo.h36m_files import load_shared_3d

    return load_shared_3d(path, dtype=np.float64)


@pytest.fixture(scope="session")
def h36m_cameras(shared_dir: Path) -> dict:
    from pstmo.cameras import load_h36m_cameras

    return load_h36m_cameras(shared_dir / "data" / "h36m" / "h36m_cameras.json")


@pytest.fixture(scope="session")
def generated_positions():
    """The `_generated_positions` function (fixture so tests need not import conftest)."""
    return _generated_positions


def _generated_positions(frames: int = 120, seed: int = 0) -> np.ndarray:
    """(frames, 17, 3) Y-up metres: every bone swinging smoothly in its own direction, the body turning twice
    around the vertical (720 degrees) while walking forward. Constant bone lengths."""
    rng = np.random.default_rng(seed)
    lengths = np.array([0.13, 0.45, 0.44, 0.13, 0.45, 0.44, 0.24, 0.25, 0.11, 0.12, 0.15, 0.28, 0.25, 0.15,
                        0.28, 0.25])
    rest = rest_positions(lengths)
    time = np.linspace(0, 1, frames)
    out = np.zeros((frames, 17, 3))
    spin = 4 * np.pi * time
    for parent, child in H36M_BONES:
        direction = rest[child] - rest[parent]
        amplitude, frequency, phase = rng.uniform(0.3, 1.2, 3), rng.uniform(0.5, 2.0, 3), rng.uniform(0, 6, 3)
        angles = amplitude * np.sin(2 * np.pi * frequency * time[:, None] + phase)
        bend = Rotation.from_rotvec(angles).as_matrix()
        turn = Rotation.from_rotvec(np.outer(spin, [0, 1, 0])).as_matrix()
        out[:, child] = out[:, parent] + np.einsum("tij,j->ti", turn @ bend, direction)
    out += np.stack([np.sin(spin) * 0.5, 0.95 + 0.05 * np.sin(3 * spin), 2.0 * time], axis=1)[:, None, :]
    return out
