"""Fixtures for the GUI tests: a window over a scripted detector and a tiny untrained lifter, with its
settings in a temporary INI file (never the user's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.skeleton_view import configure_opengl
from pipeline.pipeline import Pipeline
from pipeline.settings import PipelineSettings
from tests.pipeline.helpers import ScriptedDetector, frames, tiny_checkpoint, write_video

configure_opengl()  # before pytest-qt creates the QApplication


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "settings.ini"
    monkeypatch.setenv("PSTMO_SETTINGS_FILE", str(path))
    return path


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ckpt")
    return {"centred": tiny_checkpoint(folder), "causal": tiny_checkpoint(folder, causal=True)}


@pytest.fixture(scope="session")
def stage1_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained Stage I (pre-training) model: it cannot lift."""
    import torch

    from pstmo.checkpoint import save_checkpoint
    from pstmo.config import ModelConfig
    from pstmo.model import PSTMOPretrain

    torch.manual_seed(0)
    config = ModelConfig(frames=9, layers=2, channel=32, d_hid=64)
    return save_checkpoint(tmp_path_factory.mktemp("stage1") / "pretrained", PSTMOPretrain(config), config, stage=1)


@pytest.fixture(scope="session")
def grey_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 grey 320x240 frames: the scripted detector sees one walking person in each."""
    return write_video(tmp_path_factory.mktemp("video") / "walk.mp4", frames(20))


@pytest.fixture
def window(qtbot, checkpoints):
    from app.main_window import MainWindow
    from app.store import AppStore

    settings = PipelineSettings(checkpoint=str(checkpoints["centred"]), device="cpu", exports="csv,json")
    win = MainWindow(store=AppStore(), settings=settings)
    win.pipeline = Pipeline(settings, detector=ScriptedDetector())
    qtbot.addWidget(win)
    win.resize(1000, 600)
    win.show()
    yield win
    win.stop_all()
