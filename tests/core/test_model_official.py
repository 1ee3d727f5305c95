"""The model reproduces the authors' code: every fixture in ../shared/fixtures/official_pstmo matches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from pstmo.checkpoint import import_official
from pstmo.model import PSTMO, PSTMOPretrain, count_parameters

TOLERANCE = 1e-4


def _manifest(shared_dir: Path) -> list[dict]:
    folder = shared_dir / "fixtures" / "official_pstmo"
    if not (folder / "manifest.json").is_file():
        pytest.skip("official P-STMO fixtures not found")
    return json.loads((folder / "manifest.json").read_text())


@pytest.fixture(scope="module")
def fixtures(shared_dir: Path) -> tuple[Path, list[dict]]:
    return shared_dir / "fixtures" / "official_pstmo", _manifest(shared_dir)


def _entries(fixtures, stage: int) -> list[dict]:
    folder, manifest = fixtures
    entries = [entry for entry in manifest if entry["stage"] == stage]
    assert entries, f"the manifest lists no stage {stage} fixture"
    return entries


def _load(folder: Path, entry: dict) -> torch.nn.Module:
    return import_official(
        folder / entry["file"], frames=entry["frames"], layers=entry["layers"], channel=entry["channel"]
    )


def _unused_norm_parameters(folder: Path, entry: dict) -> int:
    state = torch.load(folder / entry["file"], weights_only=True)
    return sum(t.numel() for k, t in state.items() if k.endswith(("model.norm.a_2", "model.norm.b_2")))


def test_every_stage2_fixture_matches_both_outputs(fixtures):
    folder, _ = fixtures
    for entry in _entries(fixtures, 2):
        model = _load(folder, entry)
        assert isinstance(model, PSTMO) and not model.training
        data = np.load(folder / entry["io"])
        with torch.inference_mode():
            center, all_frames = model(torch.from_numpy(data["input_2d"]))
        assert center.shape == data["output_center_3d"].shape
        assert all_frames.shape == data["output_all_3d"].shape
        np.testing.assert_allclose(
            center.numpy(), data["output_center_3d"], rtol=0, atol=TOLERANCE, err_msg=entry["file"]
        )
        np.testing.assert_allclose(
            all_frames.numpy(), data["output_all_3d"], rtol=0, atol=TOLERANCE, err_msg=entry["file"]
        )


def test_every_stage1_fixture_matches_in_time_order(fixtures):
    folder, _ = fixtures
    for entry in _entries(fixtures, 1):
        model = _load(folder, entry)
        assert isinstance(model, PSTMOPretrain) and not model.training
        data = np.load(folder / entry["io"])
        temporal_mask = torch.from_numpy(data["temporal_mask"])
        with torch.inference_mode():
            out = model(torch.from_numpy(data["input_2d"]), temporal_mask, torch.from_numpy(data["spatial_mask"]))
        visible_first = torch.cat([out[:, ~temporal_mask], out[:, temporal_mask]], dim=1)
        np.testing.assert_allclose(
            visible_first.numpy(), data["output_2d_visible_first"], rtol=0, atol=TOLERANCE, err_msg=entry["file"]
        )


def test_parameter_count_is_the_references_minus_its_unused_final_norms(fixtures):
    folder, manifest = fixtures
    for entry in manifest:
        model = _load(folder, entry)
        assert count_parameters(model) == entry["params"] - _unused_norm_parameters(folder, entry), entry["file"]


def test_embed_then_forward_embedded_equals_forward(fixtures):
    folder, _ = fixtures
    entry = _entries(fixtures, 2)[0]
    model = _load(folder, entry)
    x = torch.from_numpy(np.load(folder / entry["io"])["input_2d"])
    with torch.inference_mode():
        direct = model(x)
        shared = model.forward_embedded(model.embed(x))
    for a, b in zip(direct, shared, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
