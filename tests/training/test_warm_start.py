"""Starting a longer-window lifter from a trained shorter one (training.warm_start)."""

import pytest
import torch

from pstmo.checkpoint import load_checkpoint
from pstmo.config import ModelConfig
from pstmo.errors import InputError
from pstmo.model import PSTMO
from training.trainer import Trainer, train
from training.warm_start import centre_placed, deepen, widen_window


def _model(frames: int, **sizes) -> PSTMO:
    torch.manual_seed(frames)
    values = {"layers": 2, "channel": 32, "d_hid": 64, "tds": 3} | sizes
    return PSTMO(ModelConfig(frames=frames, **values)).eval()


def test_a_positional_embedding_is_centred_with_its_edges_repeated_outwards():
    old = torch.arange(3.0).view(1, 3, 1)
    assert centre_placed(old, 7).flatten().tolist() == [0, 0, 0, 1, 2, 2, 2]
    with pytest.raises(ValueError):
        centre_placed(old, 6)


def test_a_27_frame_window_keeps_every_weight_of_the_9_frame_model_that_does_not_depend_on_the_window():
    short, long = _model(9), _model(27)
    mapped = widen_window(short, long)
    theirs, ours = short.state_dict(), long.state_dict()
    assert all(torch.equal(ours[name], theirs[name]) for name in theirs if name.startswith(("sem.", "tem.layers.",
                                                                                           "head_")))
    assert torch.equal(ours["tem.pos_embedding"][:, 9:18], theirs["tem.pos_embedding"])
    assert all(torch.equal(ours[f"mofa.layers.{i + 1}.{rest}"], theirs[f"mofa.layers.{i}.{rest}"])
               for i in (0, 1) for rest in [n.split(".", 3)[3] for n in theirs if n.startswith(f"mofa.layers.{i}.")])
    assert torch.equal(ours["mofa.pos_embeddings.1"][:, :9], theirs["mofa.pos_embeddings.0"])
    assert not any(name.startswith("mofa.layers.0.") for name in mapped), "the new first MOFA layer starts fresh"


def test_a_model_of_another_width_cannot_be_widened_into():
    with pytest.raises(ValueError, match="channel"):
        widen_window(_model(9), _model(27, channel=64))


def test_a_training_run_can_start_a_longer_window_from_a_trained_shorter_one(tiny_config, tmp_path):
    first = train(tiny_config(pretrained=None, finetune_epochs=1, out_dir=str(tmp_path / "a")), 2)
    trainer = Trainer(tiny_config(pretrained=None, out_dir=str(tmp_path / "b"), init=str(first.best_checkpoint),
                                  model={"preset": None, "frames": 27, "tds": 1, "layers": 2, "channel": 32,
                                         "d_hid": 64}), 2)
    trainer.log.close()
    assert trainer.model.config.frames == 27
    trained = load_checkpoint(first.best_checkpoint).model.state_dict()
    ours = trainer.model.state_dict()
    assert all(torch.equal(ours[name], trained[name]) for name in trained if name.startswith("sem."))
    with pytest.raises(InputError, match="init needs"):
        Trainer(tiny_config(pretrained=None, out_dir=str(tmp_path / "c"), init=str(first.best_checkpoint),
                            model={"preset": None, "frames": 27, "layers": 2, "channel": 16, "d_hid": 64}), 2)


def test_a_deeper_tem_starts_with_exactly_the_shallower_models_predictions():
    shallow, deep = _model(9, layers=2), _model(9, layers=4)
    mapped = deepen(shallow, deep)
    assert "tem.layers.3.ffn.fc2.weight" in mapped and "tem.layers.1.attn.qkv.weight" in mapped
    x = torch.randn(3, 9, 17, 2) * 0.3
    with torch.no_grad():
        for ours, theirs in zip(deep(x), shallow(x), strict=True):
            assert torch.allclose(ours, theirs, atol=1e-6)


def test_deepening_refuses_a_different_window_or_a_model_that_is_not_deeper():
    with pytest.raises(ValueError, match="frames differs"):
        deepen(_model(9, layers=2), _model(27, layers=3))
    with pytest.raises(ValueError, match="not more"):
        deepen(_model(9, layers=2), _model(9, layers=2))


def test_a_training_run_can_start_a_deeper_tem_from_a_trained_shallower_lifter(tiny_config, tmp_path):
    first = train(tiny_config(pretrained=None, finetune_epochs=1, out_dir=str(tmp_path / "a")), 2)
    sizes = load_checkpoint(first.best_checkpoint).config.to_dict()
    trainer = Trainer(tiny_config(pretrained=None, out_dir=str(tmp_path / "b"), init=str(first.best_checkpoint),
                                  model={**sizes, "preset": None, "layers": sizes["layers"] + 1}), 2)
    trainer.log.close()
    assert trainer.model.config.layers == sizes["layers"] + 1
    trained = load_checkpoint(first.best_checkpoint).model.state_dict()
    assert all(torch.equal(trainer.model.state_dict()[name], tensor) for name, tensor in trained.items())
    with pytest.raises(InputError, match="cannot start a"):
        Trainer(tiny_config(pretrained=None, out_dir=str(tmp_path / "c"), init=str(first.best_checkpoint),
                            model={**sizes, "preset": None, "frames": 27, "stride_num": None,
                                   "layers": sizes["layers"] + 1}), 2)
