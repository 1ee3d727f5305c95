"""3D pose metrics: plain functions on numpy arrays (VideoPose3D style).

Poses are `(..., J, 3)` in metres (any leading shape: one pose `(J, 3)`, a sequence `(T, J, 3)`, a batch).
Errors come back in the input's units (metres here; multiply by 1000 for the millimetres papers print).
Temporal metrics (`mpjve`, `acceleration_error`) take time on the axis just before the joints: `(T, J, 3)`
or `(..., T, J, 3)`.

- MPJPE: mean Euclidean joint distance (Protocol 1).
- P-MPJPE: MPJPE after a per-pose similarity Procrustes alignment (rotation, uniform scale, translation);
  the rotation is kept proper (det = +1) by the reflection fix (Protocol 2).
- N-MPJPE: MPJPE after the per-pose least-squares scale of the prediction.
- MPJVE / acceleration error: MPJPE of first / second temporal differences (per frame, not per second).
- PCK / AUC (MPI-INF-3DHP): fraction of joints within 150 mm, and the mean PCK over thresholds 0:5:150 mm,
  on 3DHP's 14 evaluation joints (`MPI_INF_3DHP_14`) unless `joints` says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

MPI_INF_3DHP_14: tuple[int, ...] = (10, 8, 14, 15, 16, 11, 12, 13, 1, 2, 3, 4, 5, 6)
"""H36M-17 indices of MPI-INF-3DHP's 14 evaluation joints, in 3DHP's order: head top (H36M Head, 10),
neck (H36M Thorax, 8), R shoulder/elbow/wrist (14, 15, 16), L shoulder/elbow/wrist (11, 12, 13),
R hip/knee/ankle (1, 2, 3), L hip/knee/ankle (4, 5, 6). Left out: Pelvis (0), Spine (7), Neck/Nose (9)."""

PCK_THRESHOLD = 0.150
"""PCK threshold in metres (150 mm)."""

AUC_THRESHOLDS: np.ndarray = np.linspace(0.0, 0.150, 31)
"""AUC thresholds in metres: 0, 5, ..., 150 mm (31 values)."""


def _pair(predicted: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    predicted = np.asarray(predicted, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if predicted.shape != target.shape:
        raise ValueError(f"predicted {predicted.shape} and target {target.shape} must have the same shape")
    if predicted.ndim < 2:
        raise ValueError(f"poses must have shape (..., J, C); got {predicted.shape}")
    return predicted, target


def joint_errors(predicted: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Euclidean distance per joint: `(..., J, 3)` x2 -> `(..., J)`, input units."""
    predicted, target = _pair(predicted, target)
    return np.linalg.norm(predicted - target, axis=-1)


def mpjpe(predicted: np.ndarray, target: np.ndarray) -> float:
    """Mean per-joint position error over all poses and joints (input units)."""
    return float(joint_errors(predicted, target).mean())


def mpjpe_per_joint(predicted: np.ndarray, target: np.ndarray) -> np.ndarray:
    """MPJPE of each joint, averaged over the leading axes: `(..., J, 3)` -> `(J,)`."""
    errors = joint_errors(predicted, target)
    return errors.reshape(-1, errors.shape[-1]).mean(axis=0)


def procrustes_align(predicted: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Align each predicted pose to its target with the best similarity transform.

    Per pose (over the last two axes `(J, 3)`): the rotation R (det +1, reflections excluded), scale a and
    translation t minimising `|a * P @ R + t - X|^2`. Returns the aligned prediction, shape of the input.
    """
    predicted, target = _pair(predicted, target)
    mu_x = target.mean(axis=-2, keepdims=True)
    mu_y = predicted.mean(axis=-2, keepdims=True)
    x0 = target - mu_x
    y0 = predicted - mu_y
    norm_x = np.sqrt(np.sum(x0**2, axis=(-2, -1), keepdims=True))
    norm_y = np.sqrt(np.sum(y0**2, axis=(-2, -1), keepdims=True))
    norm_x = np.where(norm_x > 0, norm_x, 1.0)
    norm_y = np.where(norm_y > 0, norm_y, 1.0)
    x0 = x0 / norm_x
    y0 = y0 / norm_y
    # Cross-covariance H = X0^T Y0; with H = U S V^T the rotation applied as `Y0 @ R` is R = V U^T.
    u, s, vt = np.linalg.svd(np.swapaxes(x0, -1, -2) @ y0)
    v = np.swapaxes(vt, -1, -2)
    # Reflection fix: if V U^T would be a reflection, flip the axis of the smallest singular value.
    sign = np.sign(np.linalg.det(v @ np.swapaxes(u, -1, -2)))
    sign = np.where(sign == 0, 1.0, sign)
    v[..., :, -1] *= sign[..., None]
    s[..., -1] *= sign
    rotation = v @ np.swapaxes(u, -1, -2)
    scale = np.sum(s, axis=-1)[..., None, None] * norm_x / norm_y
    translation = mu_x - scale * (mu_y @ rotation)
    return scale * (predicted @ rotation) + translation


def p_mpjpe(predicted: np.ndarray, target: np.ndarray) -> float:
    """MPJPE after per-pose similarity Procrustes alignment (Protocol 2), input units."""
    return mpjpe(procrustes_align(predicted, target), target)


def p_mpjpe_per_joint(predicted: np.ndarray, target: np.ndarray) -> np.ndarray:
    """P-MPJPE of each joint: `(..., J, 3)` -> `(J,)`."""
    return mpjpe_per_joint(procrustes_align(predicted, target), target)


def n_mpjpe(predicted: np.ndarray, target: np.ndarray) -> float:
    """MPJPE after scaling each predicted pose by its least-squares scale `<P, X> / <P, P>`."""
    predicted, target = _pair(predicted, target)
    norm_predicted = np.sum(predicted**2, axis=(-2, -1), keepdims=True)
    dot = np.sum(predicted * target, axis=(-2, -1), keepdims=True)
    scale = dot / np.where(norm_predicted > 0, norm_predicted, 1.0)
    return mpjpe(scale * predicted, target)


def _time_difference(poses: np.ndarray, order: int) -> np.ndarray:
    if poses.ndim < 3:
        raise ValueError(f"temporal metrics need poses shaped (..., T, J, 3); got {poses.shape}")
    if poses.shape[-3] <= order:
        raise ValueError(f"temporal metrics of order {order} need at least {order + 1} frames; got {poses.shape[-3]}")
    return np.diff(poses, n=order, axis=-3)


def mpjve(predicted: np.ndarray, target: np.ndarray) -> float:
    """Mean per-joint velocity error: MPJPE of first differences over time (input units per frame)."""
    predicted, target = _pair(predicted, target)
    return mpjpe(_time_difference(predicted, 1), _time_difference(target, 1))


def acceleration_error(predicted: np.ndarray, target: np.ndarray) -> float:
    """Mean per-joint acceleration error: MPJPE of second differences over time (units per frame^2)."""
    predicted, target = _pair(predicted, target)
    return mpjpe(_time_difference(predicted, 2), _time_difference(target, 2))


def _selected_errors(predicted: np.ndarray, target: np.ndarray, joints: Sequence[int] | None) -> np.ndarray:
    errors = joint_errors(predicted, target)
    if joints is not None:
        errors = errors[..., list(joints)]
    return errors


def pck(
    predicted: np.ndarray,
    target: np.ndarray,
    threshold: float = PCK_THRESHOLD,
    joints: Sequence[int] | None = MPI_INF_3DHP_14,
) -> float:
    """Fraction (0..1) of the selected joints whose error is below `threshold` (metres; strict `<`).

    `joints`: H36M-17 indices to score (3DHP's 14 by default); `None` scores every joint.
    """
    return float(np.mean(_selected_errors(predicted, target, joints) < threshold))


def auc(
    predicted: np.ndarray,
    target: np.ndarray,
    thresholds: Sequence[float] | np.ndarray = AUC_THRESHOLDS,
    joints: Sequence[int] | None = MPI_INF_3DHP_14,
) -> float:
    """Area under the PCK curve (0..1): the mean PCK over `thresholds` (metres; 0:5:150 mm by default)."""
    errors = _selected_errors(predicted, target, joints)
    return float(np.mean([np.mean(errors < t) for t in thresholds]))


def action_of(sequence: str) -> str:
    """H36M action of a sequence name: the name up to the first space ('Walking 1' -> 'Walking')."""
    return sequence.split(" ", 1)[0]


def per_action_average(
    errors: Mapping[str, Sequence[float] | float | np.ndarray], *, merge_sequences: bool = True
) -> dict[str, object]:
    """Average errors per action, then over actions (the H36M table: each action weighs the same).

    `errors` maps a sequence or action name to one error or a list of errors (e.g. per frame or per clip).
    With `merge_sequences`, 'Walking 1' and 'Walking' count as one action (`action_of`). Within an action
    all values weigh the same. Returns `{"per_action": {action: mean}, "average": mean of the action means}`.
    """
    grouped: dict[str, list[float]] = {}
    for name, value in errors.items():
        key = action_of(name) if merge_sequences else name
        grouped.setdefault(key, []).extend(np.atleast_1d(np.asarray(value, dtype=np.float64)).tolist())
    per_action = {name: float(np.mean(values)) for name, values in sorted(grouped.items()) if values}
    if not per_action:
        raise ValueError("per_action_average: no errors given")
    return {"per_action": per_action, "average": float(np.mean(list(per_action.values())))}
