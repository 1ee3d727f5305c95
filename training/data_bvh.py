"""A folder of BVH mocap -> 2D/3D training pairs seen by random virtual cameras.

Steps per file: parse the BVH, forward kinematics (world joint positions per frame), pick the H36M-17
joints with `BVH_TO_H36M`, convert units to metres, resample to the target fps (linear interpolation of
positions), then for each of `views` random cameras project to pixels (pinhole, no distortion).

Joint map (first name found wins; `<name>_end` is the End Site under joint <name>):

| H36M-17 | BVH joints (CMU cgspeed / Mixamo names) |
| --- | --- |
| Pelvis | Hips |
| RHip, RKnee, RAnkle | RightHip / RightUpLeg, RightKnee / RightLeg, RightAnkle / RightFoot |
| LHip, LKnee, LAnkle | LeftHip / LeftUpLeg, LeftKnee / LeftLeg, LeftAnkle / LeftFoot |
| Thorax | mid(LShoulder, RShoulder) |
| Spine | mid(Pelvis, Thorax) |
| Neck/Nose | Head (the head joint, at the base of the skull) |
| Head | Head_end / HeadTop_End (top of the head) |
| LShoulder, LElbow, LWrist | LeftShoulder / LeftArm, LeftElbow / LeftForeArm, LeftWrist / LeftHand |
| RShoulder, RElbow, RWrist | RightShoulder / RightArm, RightElbow / RightForeArm, RightWrist / RightHand |

The derived joints follow `pstmo.skeleton`'s conventions (thorax = mid-shoulders, spine = mid(pelvis,
thorax)). Units: the one of metres, centimetres, inches or CMU units (0.05644 m) that makes the hip-to-ankle
length closest to 0.85 m. Up axis: +Y (the BVH convention).

Virtual cameras (seeded): yaw uniform in [0, 360) degrees around the subject, distance 3-6 m from the clip's
mean pelvis position, camera height 0.8-2.0 m, looking at the pelvis at mean height; focal length
0.8-1.6 x image width; image 1000 x 1000 or 1920 x 1080.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pstmo.cameras import Camera, project_to_2d_linear, world_to_camera
from pstmo.errors import InputError
from training.sequences import PoseSequence, root_relative

BVH_TO_H36M: dict[str, tuple[str, ...]] = {
    "Pelvis": ("Hips",),
    "RHip": ("RightHip", "RightUpLeg"),
    "RKnee": ("RightKnee", "RightLeg"),
    "RAnkle": ("RightAnkle", "RightFoot"),
    "LHip": ("LeftHip", "LeftUpLeg"),
    "LKnee": ("LeftKnee", "LeftLeg"),
    "LAnkle": ("LeftAnkle", "LeftFoot"),
    "Neck/Nose": ("Head",),
    "Head": ("Head_end", "HeadTop_End", "Head_End"),
    "LShoulder": ("LeftShoulder", "LeftArm"),
    "LElbow": ("LeftElbow", "LeftForeArm"),
    "LWrist": ("LeftWrist", "LeftHand"),
    "RShoulder": ("RightShoulder", "RightArm"),
    "RElbow": ("RightElbow", "RightForeArm"),
    "RWrist": ("RightWrist", "RightHand"),
}
"""H36M joint -> candidate BVH joint names (Thorax and Spine are derived)."""

H36M_ORDER = ("Pelvis", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "Spine", "Thorax", "Neck/Nose",
              "Head", "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist")
UNIT_CANDIDATES_M = (1.0, 0.01, 0.0254, 0.05644)
LEG_LENGTH_M = 0.85


@dataclass
class BvhJoint:
    name: str
    parent: int
    offset: np.ndarray
    channels: list[str] = field(default_factory=list)


@dataclass
class BvhClip:
    """A parsed BVH file: joints (parents before children), motion (T, channels), frame time in seconds."""

    joints: list[BvhJoint]
    motion: np.ndarray
    frame_time: float


def parse_bvh(path: str | Path) -> BvhClip:
    """Read a BVH file's hierarchy and motion. Raises InputError naming the file and the problem."""
    path = Path(path)
    try:
        tokens = path.read_text(encoding="utf-8", errors="replace").split()
    except OSError as exc:
        raise InputError(f"{path}: cannot read BVH file ({exc})") from exc
    joints: list[BvhJoint] = []
    stack: list[int] = []
    i = 0

    def fail(problem: str) -> InputError:
        return InputError(f"{path}: not a valid BVH file ({problem})")

    try:
        if not tokens or tokens[0] != "HIERARCHY":
            raise fail("no HIERARCHY")
        i = 1
        pending_name: str | None = None
        while i < len(tokens) and tokens[i] != "MOTION":
            token = tokens[i]
            if token in ("ROOT", "JOINT"):
                pending_name = tokens[i + 1]
                i += 2
            elif token == "End":
                pending_name = f"{joints[stack[-1]].name}_end"
                i += 2
            elif token == "{":
                if pending_name is None:
                    raise fail("'{' without a joint")
                joints.append(BvhJoint(pending_name, stack[-1] if stack else -1, np.zeros(3)))
                stack.append(len(joints) - 1)
                pending_name = None
                i += 1
            elif token == "}":
                stack.pop()
                i += 1
            elif token == "OFFSET":
                joints[stack[-1]].offset = np.array([float(t) for t in tokens[i + 1 : i + 4]])
                i += 4
            elif token == "CHANNELS":
                count = int(tokens[i + 1])
                joints[stack[-1]].channels = tokens[i + 2 : i + 2 + count]
                i += 2 + count
            else:
                raise fail(f"unexpected token {token!r}")
        if i >= len(tokens):
            raise fail("no MOTION section")
        frames = int(tokens[i + 2])
        frame_time = float(tokens[i + 5])
        values = np.array([float(t) for t in tokens[i + 6 :]])
    except (IndexError, ValueError) as exc:
        raise fail(str(exc) or type(exc).__name__) from exc
    channels = sum(len(j.channels) for j in joints)
    if frames < 1 or channels == 0:
        raise fail("no frames")
    if values.size != frames * channels:
        raise fail(f"motion has {values.size} values, expected {frames} frames x {channels} channels")
    if frame_time <= 0:
        raise fail(f"frame time {frame_time}")
    return BvhClip(joints, values.reshape(frames, channels), frame_time)


def _axis_rotation(axis: str, degrees: np.ndarray) -> np.ndarray:
    """(T,) degrees -> (T, 3, 3) rotation matrices about x, y or z."""
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    if axis == "X":
        m = [[o, z, z], [z, c, -s], [z, s, c]]
    elif axis == "Y":
        m = [[c, z, s], [z, o, z], [-s, z, c]]
    else:
        m = [[c, -s, z], [s, c, z], [z, z, o]]
    return np.moveaxis(np.array(m), (0, 1), (-2, -1))


def forward_kinematics(clip: BvhClip) -> np.ndarray:
    """World positions (T, J, 3) in file units of every joint (End Sites included), in `clip.joints` order."""
    frames = len(clip.motion)
    positions = np.zeros((frames, len(clip.joints), 3))
    rotations = np.zeros((frames, len(clip.joints), 3, 3))
    column = 0
    for index, joint in enumerate(clip.joints):
        local_r = np.broadcast_to(np.eye(3), (frames, 3, 3)).copy()
        translation = np.zeros((frames, 3))
        for channel in joint.channels:
            values = clip.motion[:, column]
            column += 1
            kind, axis = channel[1:], channel[0].upper()
            if kind == "position":
                translation[:, "XYZ".index(axis)] = values
            else:
                local_r = local_r @ _axis_rotation(axis, values)
        if joint.parent < 0:
            positions[:, index] = joint.offset + translation
            rotations[:, index] = local_r
        else:
            parent_r = rotations[:, joint.parent]
            offset = (parent_r @ (joint.offset + translation)[..., None])[..., 0]
            positions[:, index] = positions[:, joint.parent] + offset
            rotations[:, index] = parent_r @ local_r
    return positions


def h36m_from_bvh(clip: BvhClip, source: str | Path = "BVH") -> np.ndarray:
    """(T, 17, 3) H36M joints in file units, world frame (Y up), from a parsed clip; see the module table."""
    positions = forward_kinematics(clip)
    names = {joint.name: i for i, joint in enumerate(clip.joints)}
    out = np.zeros((len(positions), 17, 3))
    for h36m_name, candidates in BVH_TO_H36M.items():
        found = next((names[n] for n in candidates if n in names), None)
        if found is None:
            raise InputError(f"{source}: no BVH joint for H36M {h36m_name} (looked for {', '.join(candidates)})")
        out[:, H36M_ORDER.index(h36m_name)] = positions[:, found]
    thorax = (out[:, H36M_ORDER.index("LShoulder")] + out[:, H36M_ORDER.index("RShoulder")]) / 2
    out[:, H36M_ORDER.index("Thorax")] = thorax
    out[:, H36M_ORDER.index("Spine")] = (out[:, 0] + thorax) / 2
    return out


def unit_to_metres(poses: np.ndarray) -> float:
    """The metres-per-unit (of `UNIT_CANDIDATES_M`) that makes the median hip-to-ankle length nearest 0.85 m."""
    legs = np.concatenate([np.linalg.norm(poses[:, 3] - poses[:, 1], axis=-1),
                           np.linalg.norm(poses[:, 6] - poses[:, 4], axis=-1)])
    length = float(np.median(legs))
    if length <= 0:
        return 1.0
    return min(UNIT_CANDIDATES_M, key=lambda unit: abs(np.log(length * unit / LEG_LENGTH_M)))


def resample(poses: np.ndarray, source_fps: float, target_fps: float) -> np.ndarray:
    """(T, J, 3) at `source_fps` -> (T', J, 3) at `target_fps` by linear interpolation in time."""
    if abs(source_fps - target_fps) < 1e-6 or len(poses) < 2:
        return poses
    duration = (len(poses) - 1) / source_fps
    times = np.arange(0.0, duration + 1e-9, 1.0 / target_fps)
    position = times * source_fps
    lower = np.clip(np.floor(position).astype(int), 0, len(poses) - 1)
    upper = np.clip(lower + 1, 0, len(poses) - 1)
    weight = (position - lower)[:, None, None]
    return poses[lower] * (1 - weight) + poses[upper] * weight


def random_camera(centre: np.ndarray, rng: np.random.Generator, name: str = "virtual") -> Camera:
    """A pinhole camera (Y-up world) 3-6 m from `centre` (3,), 0.8-2.0 m high, looking at it."""
    yaw = rng.uniform(0, 2 * np.pi)
    distance = rng.uniform(3.0, 6.0)
    height = rng.uniform(0.8, 2.0)
    position = centre + np.array([distance * np.sin(yaw), 0.0, distance * np.cos(yaw)])
    position[1] = height
    forward = centre - position
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, np.array([0.0, 1.0, 0.0]))
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    w, h = (1000, 1000) if rng.uniform() < 0.5 else (1920, 1080)
    focal = rng.uniform(0.8, 1.6) * w
    return Camera(id=name, R=np.stack([right, down, forward]), T=position, f=[focal, focal], c=[w / 2, h / 2],
                  res_w=w, res_h=h)


def load_bvh_file(path: str | Path, *, fps: float = 50.0, views: int = 4, seed: int = 0) -> list[PoseSequence]:
    """One clip seen by `views` random cameras: 2D pixels + camera-frame root-relative 3D metres."""
    path = Path(path)
    clip = parse_bvh(path)
    world = h36m_from_bvh(clip, path)
    world = world * unit_to_metres(world)
    world = resample(world, 1.0 / clip.frame_time, fps)
    rng = np.random.default_rng([seed, zlib.crc32(path.name.encode())])
    centre = world[:, 0].mean(axis=0)
    sequences = []
    for view in range(views):
        camera = random_camera(centre, rng, name=f"virtual{view}")
        cam_3d = world_to_camera(world, camera)
        if (cam_3d[..., 2] < 0.2).any():
            raise InputError(f"{path}: the subject leaves the virtual camera's view (moves > 3 m from its mean)")
        keypoints = project_to_2d_linear(cam_3d, camera)
        sequences.append(PoseSequence(
            name=f"{path.stem}/{camera.id}", keypoints_2d=keypoints.astype(np.float32),
            pose_3d=root_relative(cam_3d).astype(np.float32), image_size=(camera.res_w, camera.res_h), fps=fps,
            subject=path.stem, action=path.stem, camera=camera.id,
            extra={"camera": camera},
        ))
    return sequences


def load_bvh_folder(folder: str | Path, *, fps: float = 50.0, views: int = 4, seed: int = 0) -> list[PoseSequence]:
    """Every `*.bvh` in `folder` (sorted, recursively), each seen by `views` virtual cameras."""
    folder = Path(folder)
    if folder.is_file():
        return load_bvh_file(folder, fps=fps, views=views, seed=seed)
    if not folder.is_dir():
        raise InputError(f"{folder}: BVH folder not found")
    files = sorted(folder.rglob("*.bvh"))
    if not files:
        raise InputError(f"{folder}: no .bvh files")
    sequences = []
    for path in files:
        sequences.extend(load_bvh_file(path, fps=fps, views=views, seed=seed))
    return sequences
