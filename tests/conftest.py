"""Shared test fixtures: the read-only `../shared` material beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("PSTMO_SHARED_DIR", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` (datasets, fixtures, media); tests that need it skip when it is absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"shared material not found at {SHARED_DIR}")
    return SHARED_DIR


@pytest.fixture(scope="session")
def h36m_dir(shared_dir: Path) -> Path:
    """`../shared/data/h36m`; tests that need it skip when the Human3.6M files are absent."""
    path = shared_dir / "data" / "h36m"
    if not (path / "data_3d_h36m_int16.npz").is_file():
        pytest.skip(f"Human3.6M not found at {path}")
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
