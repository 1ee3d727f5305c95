"""Fixtures of the training tests: the shared H36M folder and a tiny training config in a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from training.config import TrainConfig, load_config


@pytest.fixture(autouse=True)
def _one_thread():
    """Keep each test to one thread: the CI machine has two shared cores."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def tiny_config(repo_root: Path, h36m_dir: Path, tmp_path: Path):
    """`configs/tiny.yaml` with data from the shared folder and output in a temp folder; kwargs override."""

    def make(**overrides) -> TrainConfig:
        config = load_config(repo_root / "configs" / "tiny.yaml")
        values = config.to_dict()
        values.update({"data_dir": str(h36m_dir), "out_dir": str(tmp_path / "run"), "tensorboard": False})
        values.update(overrides)
        return TrainConfig.from_dict(values)

    return make
