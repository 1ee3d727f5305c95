"""Checkpoints: our safetensors + JSON format round-trips exactly; bad files give clear InputErrors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from pstmo.checkpoint import import_official, load_checkpoint, save_checkpoint
from pstmo.config import ModelConfig
from pstmo.errors import InputError
from pstmo.model import PSTMO, PSTMOPretrain

TINY = ModelConfig(frames=27, layers=2, channel=32, d_hid=64, tds=2, causal=True)


def _trained_lifter() -> PSTMO:
    torch.manual_seed(0)
    model = PSTMO(TINY).train()
    with torch.no_grad():
        model(torch.rand(4, 27, 17, 2))  # moves the batch-norm statistics away from their defaults
    return model.eval()


def test_round_trip_gives_identical_weights_config_metadata_and_outputs(tmp_path):
    model = _trained_lifter()
    metadata = {"training_data": "H36M S1,S5-S8", "metrics": {"mpjpe_mm": 42.1}, "licence": "CC-BY-NC-4.0"}
    json_path = save_checkpoint(tmp_path / "lifter", model, TINY, stage=2, metadata=metadata)
    assert json_path == tmp_path / "lifter.json" and (tmp_path / "lifter.safetensors").is_file()
    for given in (tmp_path / "lifter.json", tmp_path / "lifter.safetensors", tmp_path / "lifter"):
        loaded = load_checkpoint(given)
        assert isinstance(loaded.model, PSTMO) and not loaded.model.training
        assert loaded.config == TINY and loaded.stage == 2 and loaded.metadata == metadata
        for name, tensor in model.state_dict().items():
            assert torch.equal(loaded.model.state_dict()[name], tensor), name
    x = torch.rand(2, 27, 17, 2)
    with torch.inference_mode():
        for a, b in zip(model(x), loaded.model(x), strict=True):
            assert torch.equal(a, b)


def test_json_records_stage_layout_config_and_version(tmp_path):
    json_path = save_checkpoint(tmp_path / "pre.safetensors", PSTMOPretrain(TINY), TINY, stage=1)
    header = json.loads(json_path.read_text())
    assert header["stage"] == 1 and header["input_joint_layout"] == "h36m17"
    assert header["format_version"] == 1 and header["config"] == TINY.to_dict()
    assert isinstance(load_checkpoint(json_path).model, PSTMOPretrain)


def test_half_precision_weights_are_smaller_and_load_as_float32(tmp_path):
    model = _trained_lifter()
    save_checkpoint(tmp_path / "full", model, TINY, stage=2)
    save_checkpoint(tmp_path / "half", model, TINY, stage=2, dtype="float16")
    full, half = (tmp_path / "full.safetensors").stat().st_size, (tmp_path / "half.safetensors").stat().st_size
    assert half < 0.6 * full
    loaded = load_checkpoint(tmp_path / "half.json").model
    weight = loaded.sem.fc_in.weight
    assert weight.dtype == torch.float32
    torch.testing.assert_close(weight, model.sem.fc_in.weight, rtol=1e-3, atol=1e-3)


def test_saving_a_model_under_the_wrong_stage_is_refused(tmp_path):
    with pytest.raises(ValueError, match="stage"):
        save_checkpoint(tmp_path / "x", PSTMO(TINY), TINY, stage=1)


def test_truncated_weights_raise_an_input_error_naming_the_file(tmp_path):
    save_checkpoint(tmp_path / "cut", _trained_lifter(), TINY, stage=2)
    weights = tmp_path / "cut.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(InputError, match=r"cut\.safetensors.*(truncated|corrupt)"):
        load_checkpoint(tmp_path / "cut.json")


def test_corrupt_json_raises_an_input_error_naming_the_file(tmp_path):
    save_checkpoint(tmp_path / "bad", _trained_lifter(), TINY, stage=2)
    (tmp_path / "bad.json").write_text('{"format": "pstmo-checkpoint", ')
    with pytest.raises(InputError, match=r"bad\.json.*corrupt"):
        load_checkpoint(tmp_path / "bad.safetensors")


def test_missing_and_unknown_keys_are_named(tmp_path):
    save_checkpoint(tmp_path / "keys", _trained_lifter(), TINY, stage=2)
    weights = tmp_path / "keys.safetensors"
    state = load_file(weights)
    state["sem.fc_in.weight_renamed"] = state.pop("sem.fc_in.weight")
    save_file(state, weights)
    with pytest.raises(InputError, match=r"keys\.safetensors: missing keys: sem\.fc_in\.weight"):
        load_checkpoint(tmp_path / "keys.json")
    state.pop("sem.fc_in.weight_renamed")
    state["sem.fc_in.weight"] = torch.zeros(64, 34)
    state["extra.thing"] = torch.zeros(1)
    save_file(state, weights)
    with pytest.raises(InputError, match=r"unknown keys: extra\.thing"):
        load_checkpoint(tmp_path / "keys.json")


def test_weights_of_another_size_are_reported_as_wrong_shapes(tmp_path):
    save_checkpoint(tmp_path / "small", _trained_lifter(), TINY, stage=2)
    header = json.loads((tmp_path / "small.json").read_text())
    header["config"]["d_hid"] = 128
    (tmp_path / "small.json").write_text(json.dumps(header))
    with pytest.raises(InputError, match="wrong shapes"):
        load_checkpoint(tmp_path / "small.json")


def test_a_missing_checkpoint_is_reported(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_checkpoint(tmp_path / "nothing.json")


def _official_fixture(shared_dir: Path) -> Path:
    path = shared_dir / "fixtures" / "official_pstmo" / "stage2_L3_C64_F27.pth"
    if not path.is_file():
        pytest.skip("official P-STMO fixtures not found")
    return path


def test_a_truncated_official_checkpoint_raises_an_input_error_naming_it(shared_dir, tmp_path):
    cut = tmp_path / "cut.pth"
    cut.write_bytes(_official_fixture(shared_dir).read_bytes()[:5000])
    with pytest.raises(InputError, match=r"cut\.pth: not a readable PyTorch checkpoint"):
        import_official(cut, frames=27, layers=3, channel=64)


def test_an_official_checkpoint_with_a_foreign_key_names_that_key(shared_dir, tmp_path):
    state = torch.load(_official_fixture(shared_dir), weights_only=True)
    state["module.refine.weight"] = torch.zeros(3)
    torch.save(state, tmp_path / "extra.pth")
    with pytest.raises(InputError, match=r"extra\.pth: unknown keys.*module\.refine\.weight"):
        import_official(tmp_path / "extra.pth", frames=27, layers=3, channel=64)


def test_an_official_checkpoint_with_a_missing_key_names_it(shared_dir, tmp_path):
    state = torch.load(_official_fixture(shared_dir), weights_only=True)
    del state["module.fcn.1.bias"]
    torch.save(state, tmp_path / "short.pth")
    with pytest.raises(InputError, match=r"short\.pth: missing keys: head_center\.fc\.bias"):
        import_official(tmp_path / "short.pth", frames=27, layers=3, channel=64)


def test_an_official_checkpoint_loaded_with_the_wrong_frames_names_the_architecture_it_holds(shared_dir):
    with pytest.raises(InputError, match="holds a model with frames=27, layers=3, channel=64, not frames=81"):
        import_official(_official_fixture(shared_dir), frames=81, layers=3, channel=64)


def test_load_checkpoint_dispatches_official_files_and_they_convert_to_our_format(shared_dir, tmp_path):
    path = _official_fixture(shared_dir)
    with pytest.raises(InputError, match="frames="):
        load_checkpoint(path)
    loaded = load_checkpoint(path, frames=27, layers=3, channel=64, tds=3)
    assert loaded.stage == 2 and loaded.config.tds == 3 and loaded.config.channel == 64
    save_checkpoint(tmp_path / "converted", loaded.model, loaded.config, stage=2, metadata={"source": "official"})
    again = load_checkpoint(tmp_path / "converted.json")
    x = torch.rand(1, 27, 17, 2)
    with torch.inference_mode():
        for a, b in zip(loaded.model(x), again.model(x), strict=True):
            assert torch.equal(a, b)


def test_saving_with_a_config_of_another_architecture_is_refused(tmp_path):
    other = ModelConfig(frames=27, layers=3, channel=32, d_hid=64)
    with pytest.raises(ValueError, match="layers"):
        save_checkpoint(tmp_path / "x", PSTMO(TINY), other, stage=2)


def test_an_official_state_dict_wrapped_in_a_training_record_is_unwrapped(shared_dir, tmp_path):
    state = torch.load(_official_fixture(shared_dir), weights_only=True)
    torch.save({"epoch": 3, "model_pos": state}, tmp_path / "wrapped.pth")
    direct = import_official(_official_fixture(shared_dir), frames=27, layers=3, channel=64)
    wrapped = import_official(tmp_path / "wrapped.pth", frames=27, layers=3, channel=64)
    for name, tensor in direct.state_dict().items():
        assert torch.equal(wrapped.state_dict()[name], tensor), name


def test_a_state_dict_of_another_model_is_reported_as_not_pstmo(tmp_path):
    torch.save(torch.nn.Linear(3, 4).state_dict(), tmp_path / "other.pth")
    with pytest.raises(InputError, match=r"other\.pth: not a P-STMO checkpoint"):
        import_official(tmp_path / "other.pth", frames=27, layers=3, channel=64)


def test_a_pickle_with_arbitrary_objects_is_refused_without_running_it(tmp_path):
    import pickle

    (tmp_path / "evil.pth").write_bytes(pickle.dumps({"weights": Path("x")}))
    with pytest.raises(InputError, match=r"evil\.pth: not a readable PyTorch checkpoint"):
        import_official(tmp_path / "evil.pth", frames=27, layers=3, channel=64)


def test_error_messages_are_one_line(shared_dir, tmp_path):
    cut = tmp_path / "cut.pth"
    cut.write_bytes(_official_fixture(shared_dir).read_bytes()[:5000])
    (tmp_path / "evil.pth").write_bytes(b"\x80\x04not really a pickle\n\n\n")
    for path in (cut, tmp_path / "evil.pth"):
        with pytest.raises(InputError) as caught:
            import_official(path, frames=27, layers=3, channel=64)
        assert "\n" not in str(caught.value) and str(path) in str(caught.value)
