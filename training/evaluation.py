"""Evaluation protocols: H36M Protocol 1 / 2 per action (15 actions, each weighing the same), N-MPJPE,
MPJVE; MPI-INF-3DHP PCK@150 mm / AUC / MPJPE on valid frames.

Predictions are the Stage II single-frame output (MOFA) for each target frame, with flip test-time
augmentation (the input mirrored, the output mirrored back, the two averaged) and the root set to 0.
`every` evaluates every k-th frame of each clip (quick CPU runs); MPJVE then uses the pairs (t, t+1).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from pstmo import metrics
from training.sequences import PoseSequence
from training.tensor_dataset import WindowDataset
from training.windows import flip_poses


def autocast_context(device: torch.device, bf16: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA when asked; a no-op context elsewhere."""
    if bf16 and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.no_grad()
def predict_frames(
    model: nn.Module,
    dataset: WindowDataset,
    frames: torch.Tensor,
    *,
    batch_size: int = 1024,
    flip: bool = True,
    bf16: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Stage II centre-frame poses (K, 17, 3) metres, root-relative, for global target frames `frames` (K,)."""
    was_training = model.training
    model.eval()
    outputs = []
    try:
        for start in range(0, len(frames), batch_size):
            chunk = frames[start : start + batch_size]
            x, _ = dataset.gather(chunk)
            with autocast_context(dataset.device, bf16):
                centre, _ = model(x)
                if flip:
                    centre_flipped, _ = model(flip_poses(x))
                    centre = (centre + flip_poses(centre_flipped)) / 2
            centre = centre[:, 0].float()
            centre[:, 0] = 0.0
            outputs.append(centre.cpu().numpy())
            if progress is not None:
                progress(min(start + batch_size, len(frames)), len(frames))
    finally:
        model.train(was_training)
    return np.concatenate(outputs) if outputs else np.zeros((0, 17, 3), np.float32)


def _frames_with_next(dataset: WindowDataset) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """All frames to predict (targets and their successors), and for each target its row and its successor's
    row in that list (-1 where the target is a clip's last frame)."""
    targets = dataset.sample_frames.cpu().numpy()
    last = dataset.last.cpu().numpy()[targets]
    successors = np.where(targets < last, targets + 1, -1)
    wanted = np.unique(np.concatenate([targets, successors[successors >= 0]]))
    rows = np.searchsorted(wanted, targets)
    next_rows = np.where(successors >= 0, np.searchsorted(wanted, np.maximum(successors, 0)), -1)
    return torch.as_tensor(wanted, device=dataset.device), rows, next_rows


def evaluate_h36m(
    model: nn.Module,
    sequences: Sequence[PoseSequence],
    *,
    every: int = 1,
    batch_size: int = 1024,
    flip: bool = True,
    device: str | torch.device = "cpu",
    bf16: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Protocol 1 (MPJPE), Protocol 2 (P-MPJPE), N-MPJPE and MPJVE in millimetres, per action and averaged
    over actions (each action weighs the same; within an action every evaluated frame weighs the same)."""
    config = model.config
    dataset = WindowDataset(
        sequences, frames=config.frames, tds=config.tds, causal=config.causal, every=every, device=device
    )
    wanted, rows, next_rows = _frames_with_next(dataset)
    predicted = predict_frames(model, dataset, wanted, batch_size=batch_size, flip=flip, bf16=bf16, progress=progress)
    truth = dataset.targets[wanted].cpu().numpy()
    seq_of_target = dataset.sequence_index.cpu().numpy()[dataset.sample_frames.cpu().numpy()]
    return h36m_report(sequences, predicted, truth, rows, next_rows, seq_of_target, every=every)


def h36m_report(
    sequences: Sequence[PoseSequence],
    predicted: np.ndarray,
    truth: np.ndarray,
    rows: np.ndarray,
    next_rows: np.ndarray,
    sequence_of_target: np.ndarray,
    *,
    every: int = 1,
) -> dict:
    """The H36M table from predictions (K, 17, 3) and ground truth (K, 17, 3) metres.

    `rows` index the evaluated target frames in those arrays, `next_rows` their successor frame (-1 = none),
    `sequence_of_target` the clip of each target.
    """
    actions = np.array([sequences[i].action for i in sequence_of_target])
    pred_t, true_t = predicted[rows], truth[rows]
    aligned = metrics.procrustes_align(pred_t, true_t)
    per_frame = {
        "mpjpe": metrics.joint_errors(pred_t, true_t).mean(-1),
        "p_mpjpe": metrics.joint_errors(aligned, true_t).mean(-1),
    }
    has_next = next_rows >= 0
    report: dict = {"per_action": {}, "frames": int(len(rows)), "every": every, "sequences": len(sequences)}
    table: dict[str, dict[str, float]] = {}
    for action in sorted(set(actions.tolist())):
        mask = actions == action
        row = {
            "mpjpe_mm": 1000 * float(per_frame["mpjpe"][mask].mean()),
            "p_mpjpe_mm": 1000 * float(per_frame["p_mpjpe"][mask].mean()),
            "n_mpjpe_mm": 1000 * metrics.n_mpjpe(pred_t[mask], true_t[mask]),
            "frames": int(mask.sum()),
        }
        pair = mask & has_next
        if pair.any():
            velocity_pred = predicted[next_rows[pair]] - predicted[rows[pair]]
            velocity_true = truth[next_rows[pair]] - truth[rows[pair]]
            row["mpjve_mm"] = 1000 * metrics.mpjpe(velocity_pred, velocity_true)
        table[action] = row
    report["per_action"] = table
    for key in ("mpjpe_mm", "p_mpjpe_mm", "n_mpjpe_mm", "mpjve_mm"):
        values = [row[key] for row in table.values() if key in row]
        if values:
            report[key] = float(np.mean(values))
    return report


def evaluate_3dhp(
    model: nn.Module,
    sequences: Sequence[PoseSequence],
    *,
    every: int = 1,
    batch_size: int = 1024,
    flip: bool = True,
    device: str | torch.device = "cpu",
    bf16: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """3DHP PCK@150 mm (%), AUC (%) and MPJPE (mm) over valid frames, per test sequence and overall."""
    config = model.config
    dataset = WindowDataset(
        sequences, frames=config.frames, tds=config.tds, causal=config.causal, every=every, device=device
    )
    frames = dataset.sample_frames
    predicted = predict_frames(model, dataset, frames, batch_size=batch_size, flip=flip, bf16=bf16, progress=progress)
    truth = dataset.targets[frames].cpu().numpy()
    seq_index = dataset.sequence_index[frames].cpu().numpy()
    report: dict = {"per_sequence": {}, "frames": int(len(frames)), "every": every}
    for index in sorted(set(seq_index.tolist())):
        mask = seq_index == index
        report["per_sequence"][sequences[index].name] = _3dhp_scores(predicted[mask], truth[mask])
    report.update(_3dhp_scores(predicted, truth))
    return report


def _3dhp_scores(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    return {
        "pck": 100 * metrics.pck(predicted, truth),
        "auc": 100 * metrics.auc(predicted, truth),
        "mpjpe_mm": 1000 * metrics.mpjpe(predicted, truth),
        "frames": int(len(predicted)),
    }


def format_h36m_table(report: dict) -> str:
    """A plain-text table: one row per action, then the average."""
    keys = [("mpjpe_mm", "P1 MPJPE"), ("p_mpjpe_mm", "P2 P-MPJPE"), ("n_mpjpe_mm", "N-MPJPE"), ("mpjve_mm", "MPJVE")]
    lines = [f"{'action':<14}" + "".join(f"{title:>12}" for _, title in keys) + f"{'frames':>9}"]
    for action, row in report["per_action"].items():
        cells = "".join(f"{row[key]:12.1f}" if key in row else f"{'-':>12}" for key, _ in keys)
        lines.append(f"{action:<14}{cells}{row['frames']:9d}")
    cells = "".join(f"{report[key]:12.1f}" if key in report else f"{'-':>12}" for key, _ in keys)
    lines.append(f"{'Average':<14}{cells}{report['frames']:9d}")
    return "\n".join(lines)


def format_3dhp_table(report: dict) -> str:
    lines = [f"{'sequence':<16}{'PCK':>8}{'AUC':>8}{'MPJPE':>10}{'frames':>9}"]
    rows = list(report["per_sequence"].items()) + [("All", report)]
    for name, row in rows:
        lines.append(f"{name:<16}{row['pck']:8.1f}{row['auc']:8.1f}{row['mpjpe_mm']:10.1f}{row['frames']:9d}")
    return "\n".join(lines)
