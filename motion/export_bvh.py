"""BVH export: an H36M-17 motion as a T-pose skeleton (Y up) with per-frame local rotations solved from positions.

Hierarchy (21 joints; the name is the joint at the head of the bone it rotates):

    Hips (root: pelvis; 6 channels)
      Spine (at the pelvis, rotates pelvis->spine) - Chest (spine->thorax)
        Neck (thorax->neck/nose) - Head (neck/nose->head top, End Site at the head top)
        LeftShoulder (thorax->left shoulder) - LeftArm - LeftForeArm - LeftHand (End Site)
        RightShoulder - RightArm - RightForeArm - RightHand (End Site)
      LeftHipJoint (at the pelvis, rotates pelvis->left hip) - LeftUpLeg - LeftLeg - LeftFoot (End Site)
      RightHipJoint - RightUpLeg - RightLeg - RightFoot (End Site)

Zero-offset joints (Spine, *HipJoint, and Neck/Shoulders sharing the thorax) give every bone its own rotation,
so forward kinematics reproduces the bone-length-normalised input exactly.

Rest pose: T-pose, Y up, facing +Z, the character's left along +X; offsets are the sequence's median bone
lengths, left and right averaged. Rotations: the swing takes each rest bone to its direction; twist comes from
the hip line (Hips), the shoulder line (Chest), the elbow and knee planes (upper arm, thigh; the parent's frame
when the limb is straight); other bones take the shortest rotation relative to their parent.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import numpy as np

from pstmo.atomic import write_atomically
from pstmo.errors import InputError
from pstmo.skeleton import H36M_BONES, bone_lengths

from .atomic import check_exportable
from .bones import set_bone_lengths, symmetric_bone_lengths
from .motion import Motion
from .rotations import EULER_ORDERS, frame_from_axes, matrix_to_euler, normalize, rotation_between

X, Y, Z = np.eye(3)


@dataclass(frozen=True)
class BvhJoint:
    """One BVH joint: it sits at H36M joint `head` and rotates the bone head -> `tail` (None for a leaf)."""

    name: str
    parent: int
    head: int
    tail: int | None


BVH_JOINTS: tuple[BvhJoint, ...] = (
    BvhJoint("Hips", -1, 0, None),
    BvhJoint("Spine", 0, 0, 7),
    BvhJoint("Chest", 1, 7, 8),
    BvhJoint("Neck", 2, 8, 9),
    BvhJoint("Head", 3, 9, 10),
    BvhJoint("LeftShoulder", 2, 8, 11),
    BvhJoint("LeftArm", 5, 11, 12),
    BvhJoint("LeftForeArm", 6, 12, 13),
    BvhJoint("LeftHand", 7, 13, None),
    BvhJoint("RightShoulder", 2, 8, 14),
    BvhJoint("RightArm", 9, 14, 15),
    BvhJoint("RightForeArm", 10, 15, 16),
    BvhJoint("RightHand", 11, 16, None),
    BvhJoint("LeftHipJoint", 0, 0, 4),
    BvhJoint("LeftUpLeg", 13, 4, 5),
    BvhJoint("LeftLeg", 14, 5, 6),
    BvhJoint("LeftFoot", 15, 6, None),
    BvhJoint("RightHipJoint", 0, 0, 1),
    BvhJoint("RightUpLeg", 17, 1, 2),
    BvhJoint("RightLeg", 18, 2, 3),
    BvhJoint("RightFoot", 19, 3, None),
)
BVH_JOINT_NAMES: tuple[str, ...] = tuple(joint.name for joint in BVH_JOINTS)

H36M_TO_BVH: dict[int, str] = {
    0: "Hips", 1: "RightUpLeg", 2: "RightLeg", 3: "RightFoot", 4: "LeftUpLeg", 5: "LeftLeg", 6: "LeftFoot",
    7: "Chest", 8: "Neck", 9: "Head", 10: "Head End Site", 11: "LeftArm", 12: "LeftForeArm", 13: "LeftHand",
    14: "RightArm", 15: "RightForeArm", 16: "RightHand",
}
"""Where each H36M-17 joint is in the BVH (the head top is the Head's End Site)."""

REST_DIRECTIONS: dict[int, np.ndarray] = {
    1: -X, 2: -Y, 3: -Y, 4: X, 5: -Y, 6: -Y, 7: Y, 8: Y, 9: Y, 10: Y,
    11: X, 12: X, 13: X, 14: -X, 15: -X, 16: -X,
}
"""T-pose direction of the bone ending at each H36M joint (Y up, facing +Z, left = +X)."""

# Limb bones whose twist follows the plane of the joint below: BVH joint index -> (far joint, rest bend direction).
# The elbow bends the forearm forward (+Z in the T-pose); the knee bends the shin backward (-Z).
_BEND_TWIST = {6: (13, Z), 10: (16, Z), 14: (6, -Z), 18: (3, -Z)}
_BEND_STRAIGHT, _BEND_FULL = 0.05, 0.25  # sine of the bend angle: below -> parent frame, above -> limb plane

HAND_FRACTION = 0.4  # hand End Site length as a fraction of the forearm
FOOT_FRACTION = 0.35  # foot End Site length (forward, +Z) as a fraction of the shin


def rest_positions(lengths: np.ndarray) -> np.ndarray:
    """(17, 3) T-pose H36M joint positions (pelvis at the origin) for bone `lengths` (16,)."""
    rest = np.zeros((17, 3))
    for index, (parent, child) in enumerate(H36M_BONES):
        rest[child] = rest[parent] + REST_DIRECTIONS[child] * lengths[index]
    return rest


def to_y_up(motion: Motion) -> np.ndarray:
    """(T, 17, 3) joints in a right-handed Y-up frame: camera (y down, z forward) turns 180 degrees about X,
    Z-up world maps (x, y, z) -> (x, z, -y)."""
    joints = motion.joints
    if motion.frame == "camera":
        return joints * np.array([1.0, -1.0, -1.0])
    if motion.frame == "world_z_up":
        return np.stack([joints[..., 0], joints[..., 2], -joints[..., 1]], axis=-1)
    return joints.copy()


def _bend_secondary(world: np.ndarray, parent_world: np.ndarray, joint_index: int, positions: np.ndarray,
                    bone: np.ndarray) -> np.ndarray:
    """Secondary axis for a limb's frame: the bend direction of the joint below, blended to the parent frame's
    when the limb is straight (so the twist is defined and continuous)."""
    far, rest_bend = _BEND_TWIST[joint_index]
    tail = BVH_JOINTS[joint_index].tail
    lower = positions[:, far] - positions[:, tail]
    perpendicular = lower - np.sum(lower * bone, axis=-1, keepdims=True) * bone
    sine = np.linalg.norm(perpendicular, axis=-1) / np.maximum(np.linalg.norm(lower, axis=-1), 1e-12)
    weight = np.clip((sine - _BEND_STRAIGHT) / (_BEND_FULL - _BEND_STRAIGHT), 0.0, 1.0)
    weight = weight * weight * (3 - 2 * weight)
    fallback = world @ rest_bend  # the swing-only frame's bend axis
    blended = weight[:, None] * normalize(perpendicular) + (1 - weight[:, None]) * fallback
    degenerate = np.linalg.norm(blended, axis=-1) < 1e-3
    blended[degenerate] = np.where(weight[degenerate, None] > 0.5, normalize(perpendicular[degenerate]),
                                   fallback[degenerate])
    del parent_world
    return blended


def solve_rotations(positions: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Local rotations `(T, 21, 3, 3)` of BVH_JOINTS that pose the T-pose skeleton on `positions`.

    positions: (T, 17, 3) Y-up joints (metres); lengths: (16,) bone lengths of the rest pose.
    """
    del lengths  # directions alone decide the rotations; lengths only set the offsets
    frames = len(positions)
    world = np.zeros((frames, len(BVH_JOINTS), 3, 3))
    local = np.zeros_like(world)
    for index, joint in enumerate(BVH_JOINTS):
        if joint.parent < 0:
            hip_line = positions[:, 4] - positions[:, 1]
            up = positions[:, 8] - positions[:, 0]
            world[:, index] = frame_from_axes(hip_line, up)  # rest frame is the identity
            local[:, index] = world[:, index]
            continue
        parent_world = world[:, joint.parent]
        if joint.tail is None:
            world[:, index] = parent_world
            local[:, index] = np.eye(3)
            continue
        bone = normalize(positions[:, joint.tail] - positions[:, joint.head])
        rest = REST_DIRECTIONS[joint.tail]
        bone_in_parent = np.einsum("tji,tj->ti", parent_world, bone)
        swing_world = parent_world @ rotation_between(rest, bone_in_parent)
        if joint.name == "Chest":
            shoulder_line = positions[:, 11] - positions[:, 14]
            target = frame_from_axes(bone, shoulder_line)
            world[:, index] = target @ frame_from_axes(rest, X).T
        elif index in _BEND_TWIST:
            secondary = _bend_secondary(swing_world, parent_world, index, positions, bone)
            rest_bend = _BEND_TWIST[index][1]
            world[:, index] = frame_from_axes(bone, secondary) @ frame_from_axes(rest, rest_bend).T
        else:
            world[:, index] = swing_world
        local[:, index] = np.swapaxes(parent_world, -1, -2) @ world[:, index]
    return local


def _offsets(lengths: np.ndarray) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    rest = rest_positions(lengths)
    offsets = np.zeros((len(BVH_JOINTS), 3))
    for index, joint in enumerate(BVH_JOINTS):
        if joint.parent >= 0:
            offsets[index] = rest[joint.head] - rest[BVH_JOINTS[joint.parent].head]
    forearm, shin = lengths[11], lengths[2]  # bones ending at LWrist (index 12 -> 13) and RAnkle
    end_sites = {
        4: rest[10] - rest[9],
        8: X * HAND_FRACTION * forearm,
        12: -X * HAND_FRACTION * forearm,
        16: Z * FOOT_FRACTION * shin,
        20: Z * FOOT_FRACTION * shin,
    }
    return offsets, end_sites


def bvh_text(motion: Motion, order: str = "ZXY", scale: float = 1.0) -> str:
    """The BVH file for `motion` as text. `order`: Euler channel order; `scale`: units per metre
    (1 = metres, 100 = centimetres)."""
    if order not in EULER_ORDERS:
        raise InputError(f"unknown Euler order {order!r}; use one of {', '.join(EULER_ORDERS)}")
    positions = to_y_up(motion)
    lengths = symmetric_bone_lengths(positions)
    positions = set_bone_lengths(positions, lengths)
    local = solve_rotations(positions, lengths)
    offsets, end_sites = _offsets(lengths)
    channels = " ".join(f"{axis}rotation" for axis in order)

    lines = ["HIERARCHY"]
    children: dict[int, list[int]] = {i: [] for i in range(len(BVH_JOINTS))}
    for index, joint in enumerate(BVH_JOINTS):
        if joint.parent >= 0:
            children[joint.parent].append(index)

    def write_joint(index: int, depth: int) -> None:
        pad = "  " * depth
        keyword = "ROOT" if depth == 0 else "JOINT"
        lines.append(f"{pad}{keyword} {BVH_JOINTS[index].name}")
        lines.append(f"{pad}{{")
        x, y, z = offsets[index] * scale
        lines.append(f"{pad}  OFFSET {x:.6f} {y:.6f} {z:.6f}")
        if depth == 0:
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition {channels}")
        else:
            lines.append(f"{pad}  CHANNELS 3 {channels}")
        for child in children[index]:
            write_joint(child, depth + 1)
        if index in end_sites:
            x, y, z = end_sites[index] * scale
            lines.append(f"{pad}  End Site")
            lines.append(f"{pad}  {{")
            lines.append(f"{pad}    OFFSET {x:.6f} {y:.6f} {z:.6f}")
            lines.append(f"{pad}  }}")
        lines.append(f"{pad}}}")

    write_joint(0, 0)
    columns = [positions[:, 0] * scale]
    columns.append(matrix_to_euler(local, order).reshape(len(local), -1))  # (T, joints x 3), joint by joint
    table = np.concatenate(columns, axis=1)
    lines += ["MOTION", f"Frames: {len(table)}", f"Frame Time: {1.0 / motion.fps:.8f}"]
    buffer = io.StringIO()
    np.savetxt(buffer, table, fmt="%.6f", delimiter=" ")
    return "\n".join(lines) + "\n" + buffer.getvalue()


def write_bvh(motion: Motion, path: str | os.PathLike, order: str = "ZXY", scale: float = 1.0) -> None:
    """Write `motion` as BVH to `path` (atomically). Any coordinate frame is turned Y up (see `to_y_up`);
    bones take the sequence's median lengths, left and right averaged. `scale`: units per metre."""
    check_exportable(motion, path)
    if order not in EULER_ORDERS:
        raise InputError(f"{path}: unknown Euler order {order!r}; use one of {', '.join(EULER_ORDERS)}")
    collapsed = (bone_lengths(np.asarray(motion.joints, dtype=np.float64)) <= 1e-6).any(axis=-1)
    if collapsed.any():
        raise InputError(f"{path}: {int(collapsed.sum())} of {len(motion)} frames (first: frame "
                         f"{int(np.argmax(collapsed))}) have bones of zero length (joints at one point): "
                         "no pose to write as BVH")
    text = bvh_text(motion, order=order, scale=scale)
    write_atomically(path, lambda file: file.write(text))
