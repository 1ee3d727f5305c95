"""Small P-STMO models and a straightforward (reference-style) lifting path for the lifter tests."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch

from pstmo.config import ModelConfig
from pstmo.model import PSTMO
from pstmo.skeleton import H36M_FLIP_PERMUTATION
from pstmo.transforms import normalize_screen_coordinates

IMAGE_SIZE = (640, 480)


@pytest.fixture(scope="module")
def single_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread (and do not fight other tests for the cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_model(frames: int = 9, tds: int = 2, causal: bool = False, seed: int = 0) -> tuple[PSTMO, ModelConfig]:
    """A small Stage II model with randomised batch-norm statistics (so eval mode is a real test)."""
    torch.manual_seed(seed)
    config = ModelConfig(frames=frames, layers=1, channel=16, d_hid=32, tds=tds, causal=causal)
    model = PSTMO(config)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.normal_()
            module.running_var.uniform_(0.5, 2.0)
    return model.eval(), config


def random_track(frames: int, seed: int = 0) -> np.ndarray:
    """(T, 17, 2) pixels: a random walk inside the image."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(100, 400, size=(1, 17, 2))
    return (start + np.cumsum(rng.normal(scale=3.0, size=(frames, 17, 2)), axis=0)).astype(np.float32)


def _mirror(x: np.ndarray) -> np.ndarray:
    out = x[..., H36M_FLIP_PERMUTATION, :].copy()
    out[..., 0] = -out[..., 0]
    return out


def straightforward_lift(model: PSTMO, config: ModelConfig, track: np.ndarray, flip: bool) -> np.ndarray:
    """The reference's computation: edge-pad the normalised sequence, cut one window per frame, run the
    whole model on it, keep the single-frame output, zero the root, average with the mirrored input."""
    x = normalize_screen_coordinates(track, *IMAGE_SIZE).astype(np.float32)
    s, n = config.tds, config.frames
    before = (n - 1) * s if config.causal else (n - 1) // 2 * s
    after = 0 if config.causal else (n - 1) // 2 * s
    inputs = [x, _mirror(x)] if flip else [x]
    outputs = []
    for sequence in inputs:
        padded = np.pad(sequence, ((before, after), (0, 0), (0, 0)), mode="edge")
        windows = np.stack([padded[t : t + config.receptive_field : s] for t in range(len(track))])
        with torch.no_grad():
            center, _ = model(torch.from_numpy(windows))
        outputs.append(center[:, 0].numpy())
    if flip:
        outputs[1] = _mirror(outputs[1])
    poses = np.mean(outputs, axis=0)
    poses[:, 0] = 0.0
    return poses
