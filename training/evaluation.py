"""Evaluation protocols: H36M Protocol 1 / 2 per action (15 actions, each weighing the same), N-MPJPE,
MPJVE; MPI-INF-3DHP PCK@150 mm / AUC / MPJPE on valid frames.

Predictions come from `pstmo.Lifter.lift` itself, the call the app makes: the Stage II single-frame
output (MOFA) for each target frame, flip test-time augmentation as the lifter does it, the root set to 0,
gaps filled by `pstmo.gaps.fill_for_lifting`. So every number reported is what users get. The metrics
are those of `pstmo.metrics`. `every` evaluates every k-th frame of each clip (quick CPU runs); MPJVE
then uses the pairs (t, t+1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from pstmo import metrics
from pstmo.gaps import fill_for_lifting
from pstmo.lifter import Lifter
from training.sequences import PoseSequence

ProgressCallback = Callable[[int, int], None]


@dataclass
class Predictions:
    """Lifter output on the evaluated frames of many clips, as flat arrays.

    predicted / truth: (K, 17, 3) metres, root-relative camera frame, for every frame predicted (targets and,
    with velocity, their successors). rows: (E,) row of each evaluated target; next_rows: (E,) row of its
    successor (-1 = none); sequence_of_target: (E,) clip index of each target.
    """

    predicted: np.ndarray
    truth: np.ndarray
    rows: np.ndarray
    next_rows: np.ndarray
    sequence_of_target: np.ndarray


def target_frames(sequence: PoseSequence, every: int) -> np.ndarray:
    """(E,) frames of one clip that are evaluated: every `every`-th, valid frames only where it marks them."""
    local = np.arange(0, len(sequence), max(1, int(every)))
    if sequence.valid is not None:
        local = local[sequence.valid[local]]
    return local


def predict_sequences(
    lifter: Lifter,
    sequences: Sequence[PoseSequence],
    *,
    every: int = 1,
    velocity: bool = True,
    flip: bool = True,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
) -> Predictions:
    """Lift the evaluated frames (and with `velocity` their successors) of every clip through `lifter`."""
    predicted, truth, rows, next_rows, owners = [], [], [], [], []
    total = sum(len(target_frames(s, every)) for s in sequences)
    done = offset = 0
    for index, sequence in enumerate(sequences):
        if sequence.pose_3d is None:
            raise ValueError(f"{sequence.name}: evaluation needs 3D ground truth")
        targets = target_frames(sequence, every)
        if len(targets) == 0:
            continue
        successors = np.where(targets + 1 < len(sequence), targets + 1, -1) if velocity else np.full_like(targets, -1)
        wanted = np.unique(np.concatenate([targets, successors[successors >= 0]]))
        keypoints = sequence.keypoints_2d
        if not np.isfinite(keypoints).all():
            keypoints, _ = fill_for_lifting(keypoints)
        poses = lifter.lift(keypoints, sequence.image_size, flip=flip, frames=wanted, batch_size=batch_size)
        predicted.append(poses)
        truth.append(sequence.pose_3d[wanted])
        rows.append(offset + np.searchsorted(wanted, targets))
        next_rows.append(np.where(successors >= 0, offset + np.searchsorted(wanted, np.maximum(successors, 0)), -1))
        owners.append(np.full(len(targets), index))
        offset += len(wanted)
        done += len(targets)
        if progress is not None:
            progress(done, total)
    if not predicted:
        raise ValueError("no frames to evaluate")
    return Predictions(np.concatenate(predicted), np.concatenate(truth).astype(np.float32), np.concatenate(rows),
                       np.concatenate(next_rows), np.concatenate(owners))


def evaluate_h36m(
    lifter: Lifter,
    sequences: Sequence[PoseSequence],
    *,
    every: int = 1,
    flip: bool = True,
    velocity: bool = True,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
) -> dict:
    """Protocol 1 (MPJPE), Protocol 2 (P-MPJPE), N-MPJPE and MPJVE in millimetres, per action and averaged
    over actions (each action weighs the same; within an action every evaluated frame weighs the same)."""
    p = predict_sequences(lifter, sequences, every=every, velocity=velocity, flip=flip, batch_size=batch_size,
                          progress=progress)
    return h36m_report(sequences, p.predicted, p.truth, p.rows, p.next_rows, p.sequence_of_target, every=every)


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
    lifter: Lifter,
    sequences: Sequence[PoseSequence],
    *,
    every: int = 1,
    flip: bool = True,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
) -> dict:
    """3DHP PCK@150 mm (%), AUC (%) and MPJPE (mm) over valid frames, per test sequence and overall."""
    p = predict_sequences(lifter, sequences, every=every, velocity=False, flip=flip, batch_size=batch_size,
                          progress=progress)
    predicted, truth = p.predicted[p.rows], p.truth[p.rows]
    report: dict = {"per_sequence": {}, "frames": int(len(p.rows)), "every": every}
    for index in sorted(set(p.sequence_of_target.tolist())):
        mask = p.sequence_of_target == index
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
