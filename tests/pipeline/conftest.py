"""Fixtures for the pipeline tests: tiny untrained checkpoints (centred and causal) and bad input files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.helpers import tiny_checkpoint


@pytest.fixture(scope="session")
def centred_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt"), causal=False)


@pytest.fixture(scope="session")
def causal_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt"), causal=True)


@pytest.fixture(scope="session")
def default_checkpoint() -> Path:
    """The shipped lifter (assets/models/); tests of real accuracy skip when none is shipped yet."""
    from pipeline.settings import default_checkpoint as shipped

    path = shipped()
    if path is None:
        pytest.skip("no lifter checkpoint shipped in assets/models/ yet")
    return path
