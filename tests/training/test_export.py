"""Exporting checkpoints for shipping: several checkpoints of one model export as their weight average."""

import pytest
import torch

from pstmo.checkpoint import load_checkpoint, save_checkpoint
from pstmo.config import ModelConfig
from pstmo.errors import InputError
from pstmo.model import PSTMO
from training.export import export_checkpoint, main


def _saved(tmp_path, name: str, seed: int, **sizes):
    torch.manual_seed(seed)
    config = ModelConfig(**({"frames": 9, "layers": 1, "channel": 16, "d_hid": 32} | sizes))
    return save_checkpoint(tmp_path / name, PSTMO(config), config, stage=2, metadata={"run": name})


def test_several_checkpoints_export_as_the_mean_of_their_weights(tmp_path):
    sources = [_saved(tmp_path, "a", 1), _saved(tmp_path, "b", 2), _saved(tmp_path, "c", 3)]
    averaged = load_checkpoint(export_checkpoint(sources, tmp_path / "soup"))
    states = [load_checkpoint(source).model.state_dict() for source in sources]
    for name, tensor in averaged.model.state_dict().items():
        expected = torch.stack([state[name].float() for state in states]).mean(0)
        assert torch.allclose(tensor.float(), expected, atol=1e-6), name
    assert averaged.metadata["run"] == "a" and averaged.metadata["averaged_from"] == [str(s) for s in sources]


def test_one_checkpoint_exports_unchanged_without_an_averaging_note(tmp_path):
    source = _saved(tmp_path, "a", 1)
    copy = load_checkpoint(export_checkpoint(source, tmp_path / "copy"))
    original = load_checkpoint(source).model.state_dict()
    assert all(torch.equal(original[k], v) for k, v in copy.model.state_dict().items())
    assert "averaged_from" not in copy.metadata


def test_checkpoints_of_different_models_are_refused_naming_the_file(tmp_path, capsys):
    small, wide = _saved(tmp_path, "small", 1), _saved(tmp_path, "wide", 2, channel=32)
    with pytest.raises(InputError, match="wide.json: cannot average"):
        export_checkpoint([small, wide], tmp_path / "soup")
    assert main([str(small), str(wide), str(tmp_path / "soup")]) == 1
    assert "cannot average" in capsys.readouterr().err and not (tmp_path / "soup.json").exists()
