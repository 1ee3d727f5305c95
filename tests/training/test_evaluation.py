"""Evaluation protocols: numbers equal a hand computation on small cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from pstmo.config import ModelConfig
from pstmo.lifter import Lifter
from training.evaluation import evaluate_3dhp, evaluate_h36m, format_h36m_table, h36m_report
from training.sequences import PoseSequence


class OracleModel(nn.Module):
    """Reads the 3D back out of the 2D input it was given (the pelvis x of each frame is a code for its
    pose), then adds a fixed offset: a model whose exact errors are known in advance. It offers the calls
    `pstmo.Lifter` makes (`embed`: the 2D itself as the per-frame feature; `forward_embedded`)."""

    def __init__(self, frames: int, lookup: dict[float, np.ndarray], offset_m: tuple[float, float, float]) -> None:
        super().__init__()
        self.config = ModelConfig(frames=frames, stride_num=(frames,), layers=1, channel=8, d_hid=16)
        self.lookup = lookup
        self.offset = torch.tensor(offset_m, dtype=torch.float32)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(-2)

    def forward_embedded(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        centre = features[:, self.config.frames // 2].unflatten(-1, (17, 2))
        codes = np.array(list(self.lookup))
        poses = torch.stack([
            torch.as_tensor(self.lookup[codes[np.abs(codes - float(k)).argmin()]]) for k in centre[:, 0, 0]
        ])
        out = (poses + self.offset)[:, None]
        return out, out.expand(-1, self.config.frames, -1, -1)


def _clip(name: str, action: str, length: int, rng: np.random.Generator, lookup: dict) -> PoseSequence:
    pose = rng.normal(0, 0.2, (length, 17, 3)).astype(np.float32)
    pose -= pose[:, :1]
    keypoints = rng.uniform(100, 900, (length, 17, 2)).astype(np.float32)
    keypoints[:, 0, 0] = 10 + np.arange(length) + len(lookup)  # a unique pelvis x per frame identifies it
    for t in range(length):
        lookup[float(keypoints[t, 0, 0]) / 1000 * 2 - 1] = pose[t]
    return PoseSequence(name=name, keypoints_2d=keypoints, pose_3d=pose, image_size=(1000, 1000), fps=50,
                        subject="S9", action=action)


@pytest.fixture
def clips():
    rng = np.random.default_rng(1)
    lookup: dict = {}
    sequences = [_clip("a", "Walking", 20, rng, lookup), _clip("b", "Walking", 10, rng, lookup),
                 _clip("c", "Eating", 6, rng, lookup)]
    return sequences, lookup


def test_a_constant_offset_gives_that_mpjpe_and_zero_procrustes_and_velocity_errors(clips):
    sequences, lookup = clips
    model = OracleModel(3, lookup, (0.0, 0.0, 0.0))
    # joint 0 is set to 0 after prediction, so an offset on every joint moves 16 of 17 joints
    model.offset = torch.tensor([0.01, 0.0, 0.0])
    report = evaluate_h36m(Lifter(model, model.config, device="cpu"), sequences, flip=False)
    expected_mm = 10.0 * 16 / 17
    assert report["mpjpe_mm"] == pytest.approx(expected_mm, rel=1e-4)
    assert report["per_action"]["Eating"]["frames"] == 6 and report["frames"] == 36
    assert report["mpjve_mm"] == pytest.approx(0.0, abs=1e-4)


def test_actions_weigh_the_same_whatever_their_frame_counts():
    sequences = [
        PoseSequence(name="x", keypoints_2d=np.zeros((3, 17, 2)), pose_3d=np.zeros((3, 17, 3)),
                     image_size=(10, 10), fps=50, action="Walking"),
        PoseSequence(name="y", keypoints_2d=np.zeros((1, 17, 2)), pose_3d=np.zeros((1, 17, 3)),
                     image_size=(10, 10), fps=50, action="Eating"),
    ]
    truth = np.zeros((4, 17, 3))
    predicted = np.zeros((4, 17, 3))
    predicted[:3, :, 0] = 0.010  # Walking: 10 mm on every joint
    predicted[3, :, 0] = 0.040  # Eating: 40 mm
    rows = np.arange(4)
    next_rows = np.array([1, 2, -1, -1])
    report = h36m_report(sequences, predicted, truth, rows, next_rows, np.array([0, 0, 0, 1]))
    assert report["per_action"]["Walking"]["mpjpe_mm"] == pytest.approx(10.0)
    assert report["per_action"]["Eating"]["mpjpe_mm"] == pytest.approx(40.0)
    assert report["mpjpe_mm"] == pytest.approx(25.0)  # not the frame-weighted 17.5
    assert report["p_mpjpe_mm"] == pytest.approx(0.0, abs=1e-6)
    assert "mpjve_mm" not in report["per_action"]["Eating"]  # one frame: no velocity
    assert "Average" in format_h36m_table(report)


def test_every_k_evaluates_every_kth_frame_and_pairs_it_with_the_next_for_velocity(clips):
    sequences, lookup = clips
    model = OracleModel(3, lookup, (0.0, 0.0, 0.0))
    report = evaluate_h36m(Lifter(model, model.config, device="cpu"), sequences, every=4, flip=False)
    assert report["frames"] == 5 + 3 + 2
    assert report["mpjpe_mm"] == pytest.approx(0.0, abs=1e-4)


def test_3dhp_scores_count_valid_frames_only(clips):
    sequences, lookup = clips
    clip = sequences[0]
    clip.valid = np.arange(len(clip)) % 2 == 0
    model = OracleModel(3, lookup, (0.0, 0.0, 0.0))
    model.offset = torch.tensor([0.0, 0.102, 0.0])  # 102 mm on every joint but the (zeroed) pelvis
    report = evaluate_3dhp(Lifter(model, model.config, device="cpu"), [clip], flip=False)
    assert report["frames"] == 10
    assert report["pck"] == pytest.approx(100.0)  # 3DHP's 14 joints, all within 150 mm
    assert report["auc"] == pytest.approx(100 * 10 / 31)  # thresholds 105..150 mm of 0..150 mm
    assert report["mpjpe_mm"] == pytest.approx(102 * 16 / 17, rel=1e-4)


def test_evaluation_predicts_exactly_what_the_apps_lifter_predicts(h36m_dir, tmp_path):
    from pstmo.checkpoint import save_checkpoint
    from pstmo.model import PSTMO
    from training.data_h36m import load_h36m
    from training.evaluation import predict_sequences

    torch.manual_seed(0)
    config = ModelConfig(frames=9, layers=2, channel=32, d_hid=64, tds=2)
    save_checkpoint(tmp_path / "model", PSTMO(config), config, stage=2)
    clip = load_h36m(h36m_dir, ["S9"], actions=["Walking"], max_sequences=1, cameras=[0])[0]
    clip.keypoints_2d, clip.pose_3d, clip.pose_world = clip.keypoints_2d[:60], clip.pose_3d[:60], None
    lifter = Lifter.from_checkpoint(tmp_path / "model.json", device="cpu")
    expected = lifter.lift(clip.keypoints_2d, image_size=clip.image_size, flip=True)
    every_frame = predict_sequences(lifter, [clip], every=1, velocity=False)
    np.testing.assert_array_equal(every_frame.predicted[every_frame.rows], expected)
    every_seventh = predict_sequences(lifter, [clip], every=7, velocity=True)
    np.testing.assert_allclose(every_seventh.predicted[every_seventh.rows], expected[::7], atol=1e-6)
    np.testing.assert_allclose(every_seventh.predicted[every_seventh.next_rows], expected[1::7], atol=1e-6)


def test_selecting_frames_cuts_every_per_frame_array_together_and_keeps_the_rest():
    frames = np.arange(10, dtype=np.float32)
    clip = PoseSequence(name="c", keypoints_2d=np.broadcast_to(frames[:, None, None], (10, 17, 2)),
                        pose_3d=np.broadcast_to(frames[:, None, None], (10, 17, 3)),
                        pose_world=np.broadcast_to(frames[:, None, None], (10, 17, 3)),
                        valid=frames % 3 > 0, image_size=(640, 480), fps=50, action="Walking")
    halved = clip.select(slice(None, None, 2), fps=25)
    piece = clip.select(slice(4, 7), name="c@4")
    assert len(halved) == 5 and halved.fps == 25 and halved.pose_world[:, 0, 0].tolist() == [0, 2, 4, 6, 8]
    assert piece.name == "c@4" and piece.pose_3d[:, 0, 0].tolist() == [4, 5, 6]
    assert piece.valid.tolist() == [True, True, False] and piece.action == "Walking" and clip.name == "c"
