"""Checkpoints are checked before use: weights inside the checkpoint's folder, sane sizes, finite values;
the authors' `.pth` files load with `weights_only=True`, so a pickled command never runs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from pstmo.checkpoint import ARCHITECTURE_BOUNDS, load_checkpoint
from pstmo.errors import InputError
from tests.hostile import corpus
from tests.pipeline.helpers import tiny_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt"))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_weights_with_nan_or_infinite_values_are_refused_with_that_message(tmp_path, checkpoint, value):
    path = corpus.checkpoint_with(tmp_path, checkpoint, "bad", weights=corpus.weights_filled(checkpoint, value))
    with pytest.raises(InputError, match=r"bad\.safetensors: weights hold NaN or infinite values"):
        load_checkpoint(path)


def test_one_nan_among_good_weights_is_enough_to_refuse(tmp_path, checkpoint):
    from safetensors.torch import load_file, save

    state = load_file(str(checkpoint.with_suffix(".safetensors")))
    name = sorted(k for k, v in state.items() if v.is_floating_point())[3]
    state[name].view(-1)[0] = float("nan")
    path = corpus.checkpoint_with(tmp_path, checkpoint, "one", weights=save(state))
    with pytest.raises(InputError, match=name.replace(".", r"\.")):
        load_checkpoint(path)


@pytest.mark.parametrize("weights", ["../x.safetensors", "/etc/passwd", "sub/x.safetensors", "..", "", 5])
def test_the_weights_file_must_be_a_plain_name_in_the_checkpoint_folder(tmp_path, checkpoint, weights):
    path = corpus.checkpoint_with(tmp_path, checkpoint, "escape", header={"weights": weights})
    with pytest.raises(InputError, match=r"escape\.json: 'weights' must be a file name"):
        load_checkpoint(path)


def test_a_weights_link_out_of_the_folder_is_refused_but_linking_both_files_works(tmp_path, checkpoint):
    original = corpus.checkpoint_with(tmp_path / "store", checkpoint, "model")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "model.json").write_text(original.read_text())
    (linked / "model.safetensors").symlink_to(original.with_suffix(".safetensors"))
    with pytest.raises(InputError, match="outside the checkpoint's folder"):
        load_checkpoint(linked / "model.json")
    both = tmp_path / "both"
    both.mkdir()
    (both / "model.json").symlink_to(original)
    (both / "model.safetensors").symlink_to(original.with_suffix(".safetensors"))
    assert load_checkpoint(both / "model.json").stage == 2


@pytest.mark.parametrize("field", sorted(ARCHITECTURE_BOUNDS))
def test_architecture_sizes_outside_sane_bounds_are_refused_before_building_the_model(tmp_path, checkpoint, field):
    config = json.loads(checkpoint.read_text())["config"]
    config[field] = ARCHITECTURE_BOUNDS[field][1] + 1
    path = corpus.checkpoint_with(tmp_path, checkpoint, "big", header={"config": config})
    with pytest.raises(InputError, match=rf"big\.json: config\.{field} must be a whole number"):
        load_checkpoint(path)


@pytest.mark.parametrize("strides", ["333", [3, 3, "3"], [3] * 9, [True, 9]])
def test_strides_must_be_a_short_list_of_whole_numbers(tmp_path, checkpoint, strides):
    config = {**json.loads(checkpoint.read_text())["config"], "stride_num": strides}
    path = corpus.checkpoint_with(tmp_path, checkpoint, "strides", header={"config": config})
    with pytest.raises(InputError, match=r"strides\.json: config\.stride_num"):
        load_checkpoint(path)


def test_an_oversized_config_file_is_not_read(tmp_path, monkeypatch, checkpoint):
    import pstmo.checkpoint

    monkeypatch.setattr(pstmo.checkpoint, "MAX_HEADER_BYTES", 100)
    with pytest.raises(InputError, match="not a checkpoint config"):
        load_checkpoint(checkpoint)


class Payload:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        import os

        return (os.system, (self.command,))


def test_an_authors_pth_carrying_a_shell_command_is_refused_without_running_it(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"model": {"w": torch.zeros(2)}, "hook": Payload(f"echo pwned > {tmp_path / corpus.MARKER}")}, path)
    with pytest.raises(InputError, match=r"evil\.pth: not a readable PyTorch checkpoint"):
        load_checkpoint(path, frames=9, layers=2, channel=32)
    assert not (tmp_path / corpus.MARKER).exists()


def test_an_authors_pth_with_nan_weights_is_refused(tmp_path):
    path = tmp_path / "nan.pth"
    torch.save({"Transformer.pos_embedding": torch.full((1, 9, 32), float("nan"))}, path)
    with pytest.raises(InputError, match=r"nan\.pth: weights hold NaN"):
        load_checkpoint(path, frames=9, layers=2, channel=32)
