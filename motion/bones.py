"""Bone lengths: the sequence's symmetric median lengths and projecting each frame's bones onto them."""

from __future__ import annotations

import dataclasses

import numpy as np

from pstmo.skeleton import H36M_BONES, H36M_FLIP_PERMUTATION, bone_lengths

from .motion import Motion

_BONE_OF_CHILD = {child: index for index, (_, child) in enumerate(H36M_BONES)}
# Bone index of each bone's mirror image (RHip->RKnee <-> LHip->LKnee, ...).
MIRROR_BONE: np.ndarray = np.array([_BONE_OF_CHILD[int(H36M_FLIP_PERMUTATION[c])] for _, c in H36M_BONES])


def symmetric_bone_lengths(joints: np.ndarray) -> np.ndarray:
    """(16,) metres: median length of each bone over `(T, 17, 3)` joints, left and right averaged.

    Frames with NaN joints are ignored per bone.
    """
    lengths = np.nanmedian(bone_lengths(np.asarray(joints, dtype=np.float64)), axis=0)
    return (lengths + lengths[MIRROR_BONE]) / 2.0


def set_bone_lengths(joints: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Rebuild `(T, 17, 3)` joints from the root outwards with each bone's direction kept and its length set
    to `lengths` (16,). The root stays where it is."""
    joints = np.asarray(joints, dtype=np.float64)
    out = joints.copy()
    for index, (parent, child) in enumerate(H36M_BONES):  # parents come before children in H36M order
        direction = joints[:, child] - joints[:, parent]
        norm = np.linalg.norm(direction, axis=-1, keepdims=True)
        out[:, child] = out[:, parent] + direction / np.where(norm > 1e-12, norm, 1.0) * lengths[index]
    return out


def constant_bone_lengths(motion: Motion, lengths: np.ndarray | None = None) -> Motion:
    """The motion with every frame's bones projected to the sequence's symmetric median lengths (or `lengths`,
    (16,) metres): bone directions and the root trajectory are kept."""
    lengths = symmetric_bone_lengths(motion.joints) if lengths is None else np.asarray(lengths, dtype=np.float64)
    return dataclasses.replace(motion, joints=set_bone_lengths(motion.joints, lengths))
