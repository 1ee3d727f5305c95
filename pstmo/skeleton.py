"""Skeleton layouts and conversions to Human3.6M-17 (the lifter's input and output layout).

Every array here is `(..., J, C)`: any leading shape, J joints, C coordinates (2 or 3), so the same
function converts one pose, a track `(T, J, 2)` or a batch `(B, T, J, 2)`.

H36M-17 joint order (as VideoPose3D, MMPose and the P-STMO authors use it):

    0 Pelvis  1 RHip  2 RKnee  3 RAnkle  4 LHip  5 LKnee  6 LAnkle  7 Spine  8 Thorax
    9 Neck/Nose  10 Head  11 LShoulder  12 LElbow  13 LWrist  14 RShoulder  15 RElbow  16 RWrist

Conversion formulas (plain geometric definitions; a detector may add its own calibration on top):
- Pelvis = mid(LHip, RHip); Thorax = mid(LShoulder, RShoulder); Spine = mid(Pelvis, Thorax).
- COCO-17: Neck/Nose = nose; Head = mid(left eye, right eye).
- BlazePose-33: same as COCO through its COCO-named landmarks.
- MPII-16: Pelvis, Thorax, hips, knees, ankles, shoulders, elbows, wrists map directly; Head = head top;
  Neck/Nose = the point `MPII_NOSE_FRACTION` of the way from upper neck to head top.
Confidence of a derived joint is the minimum of the confidences it is made from.
"""

from __future__ import annotations

import numpy as np

H36M_JOINTS: tuple[str, ...] = (
    "Pelvis", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "Spine", "Thorax",
    "Neck/Nose", "Head", "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist",
)
"""Names of the 17 H36M joints, in order."""

H36M_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
"""Parent of each H36M joint (-1 for the root, the pelvis)."""

H36M_LEFT: tuple[int, ...] = (4, 5, 6, 11, 12, 13)
H36M_RIGHT: tuple[int, ...] = (1, 2, 3, 14, 15, 16)
H36M_ROOT = 0
NUM_JOINTS = 17

H36M_BONES: tuple[tuple[int, int], ...] = tuple(
    (parent, child) for child, parent in enumerate(H36M_PARENTS) if parent >= 0
)
"""16 (parent, child) joint index pairs."""


def _flip_permutation(left: tuple[int, ...], right: tuple[int, ...], num: int) -> np.ndarray:
    perm = np.arange(num)
    perm[list(left)] = right
    perm[list(right)] = left
    return perm


H36M_FLIP_PERMUTATION: np.ndarray = _flip_permutation(H36M_LEFT, H36M_RIGHT, NUM_JOINTS)
"""Index array that swaps left and right joints: `pose[..., H36M_FLIP_PERMUTATION, :]`."""


def bone_side(child: int) -> str:
    """'left', 'right' or 'centre' for the bone that ends at joint `child`."""
    if child in H36M_LEFT:
        return "left"
    if child in H36M_RIGHT:
        return "right"
    return "centre"


# ---------------------------------------------------------------------------------------- layouts

COCO_JOINTS: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle",
)

MPII_JOINTS: tuple[str, ...] = (
    "RAnkle", "RKnee", "RHip", "LHip", "LKnee", "LAnkle", "Pelvis", "Thorax", "UpperNeck", "HeadTop",
    "RWrist", "RElbow", "RShoulder", "LShoulder", "LElbow", "LWrist",
)

BLAZEPOSE_JOINTS: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)

BLAZEPOSE_TO_COCO: np.ndarray = np.array(
    [BLAZEPOSE_JOINTS.index(name) for name in COCO_JOINTS], dtype=np.int64
)
"""Index of each COCO-17 joint among BlazePose's 33 landmarks."""

MPII_NOSE_FRACTION = 0.5
"""Neck/Nose from MPII: upper neck + this fraction of (head top - upper neck)."""

# H36M joints copied directly from COCO: h36m index -> coco index.
_COCO_DIRECT = {1: 12, 2: 14, 3: 16, 4: 11, 5: 13, 6: 15, 9: 0, 11: 5, 12: 7, 13: 9, 14: 6, 15: 8, 16: 10}
# H36M joints copied directly from MPII-16.
_MPII_DIRECT = {0: 6, 1: 2, 2: 1, 3: 0, 4: 3, 5: 4, 6: 5, 8: 7, 10: 9, 11: 13, 12: 14, 13: 15,
                14: 12, 15: 11, 16: 10}


def _check_layout(points: np.ndarray, num_joints: int, layout: str) -> np.ndarray:
    points = np.asarray(points)
    if points.ndim < 2 or points.shape[-2] != num_joints:
        raise ValueError(
            f"{layout} keypoints must have shape (..., {num_joints}, C); got {tuple(points.shape)}"
        )
    return points


def _mid(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a + b) / 2.0


def coco_to_h36m(points: np.ndarray) -> np.ndarray:
    """COCO-17 `(..., 17, C)` -> H36M-17 `(..., 17, C)`; C is 2, 3, or 1 for per-joint confidences
    (derived joints take the minimum of their sources' confidences)."""
    points = _check_layout(points, 17, "COCO-17")
    out = np.zeros(points.shape, dtype=np.result_type(points.dtype, np.float32))
    for h36m_index, coco_index in _COCO_DIRECT.items():
        out[..., h36m_index, :] = points[..., coco_index, :]
    combine = np.minimum if points.shape[-1] == 1 else _mid
    out[..., 0, :] = combine(points[..., 11, :], points[..., 12, :])
    out[..., 8, :] = combine(points[..., 5, :], points[..., 6, :])
    out[..., 7, :] = combine(out[..., 0, :], out[..., 8, :])
    out[..., 10, :] = combine(points[..., 1, :], points[..., 2, :])
    return out


def blazepose_to_h36m(points: np.ndarray) -> np.ndarray:
    """BlazePose-33 `(..., 33, C)` -> H36M-17 `(..., 17, C)`, through its COCO-named landmarks."""
    points = _check_layout(points, 33, "BlazePose-33")
    return coco_to_h36m(points[..., BLAZEPOSE_TO_COCO, :])


def mpii_to_h36m(points: np.ndarray) -> np.ndarray:
    """MPII-16 `(..., 16, C)` -> H36M-17 `(..., 17, C)` (C=1 for confidences: minimum of sources)."""
    points = _check_layout(points, 16, "MPII-16")
    shape = points.shape[:-2] + (17, points.shape[-1])
    out = np.zeros(shape, dtype=np.result_type(points.dtype, np.float32))
    for h36m_index, mpii_index in _MPII_DIRECT.items():
        out[..., h36m_index, :] = points[..., mpii_index, :]
    if points.shape[-1] == 1:
        out[..., 7, :] = np.minimum(points[..., 6, :], points[..., 7, :])
        out[..., 9, :] = np.minimum(points[..., 8, :], points[..., 9, :])
    else:
        out[..., 7, :] = _mid(points[..., 6, :], points[..., 7, :])
        upper_neck, head_top = points[..., 8, :], points[..., 9, :]
        out[..., 9, :] = upper_neck + MPII_NOSE_FRACTION * (head_top - upper_neck)
    return out


def bone_lengths(pose: np.ndarray) -> np.ndarray:
    """Lengths of the 16 H36M bones: `(..., 17, 3)` -> `(..., 16)`, in the input's units."""
    pose = _check_layout(pose, 17, "H36M-17")
    parents = np.array([p for p, _ in H36M_BONES])
    children = np.array([c for _, c in H36M_BONES])
    return np.linalg.norm(pose[..., children, :] - pose[..., parents, :], axis=-1)
