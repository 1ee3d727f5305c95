"""A folder of BVH mocap -> 2D/3D training pairs seen by random virtual cameras.

Steps per file: read the BVH and its world joint positions per frame (`motion.bvh_read`: bvhio's parser and
forward kinematics), pick the H36M-17 joints with `BVH_TO_H36M`, convert units to metres, resample to the
target fps (linear interpolation of positions), then for each of `views` random cameras project to pixels
(pinhole, no distortion).

Joint map (first name found wins; `<name> End Site` is the End Site under joint <name>):

| H36M-17 | BVH joints (CMU cgspeed / Mixamo names) |
| --- | --- |
| Pelvis | Hips |
| RHip, RKnee, RAnkle | RightHip / RightUpLeg, RightKnee / RightLeg, RightAnkle / RightFoot |
| LHip, LKnee, LAnkle | LeftHip / LeftUpLeg, LeftKnee / LeftLeg, LeftAnkle / LeftFoot |
| Thorax | mid(LShoulder, RShoulder) |
| Spine | mid(Pelvis, Thorax) |
| Neck/Nose | Head (the head joint, at the base of the skull) |
| Head | Head End Site / HeadTop_End (top of the head) |
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

import functools
import zlib
from pathlib import Path

import numpy as np

from motion.bvh_read import END_SITE, BvhFile, read_bvh
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
    "Head": ("Head End Site", "HeadTop_End", "Head_End"),
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


def h36m_from_bvh(bvh: BvhFile) -> np.ndarray:
    """(T, 17, 3) H36M joints in file units, world frame (Y up), from a BVH read by `motion.bvh_read.read_bvh`
    (bvhio's forward kinematics); see the module table."""
    available = set(bvh.joint_names) | {f"{name}{END_SITE}" for name in bvh.end_sites}
    chosen: dict[str, str] = {}
    for h36m_name, candidates in BVH_TO_H36M.items():
        found = next((name for name in candidates if name in available), None)
        if found is None:
            raise InputError(f"{bvh.path}: no BVH joint for H36M {h36m_name} (looked for {', '.join(candidates)})")
        chosen[h36m_name] = found
    joints = sorted({name for name in chosen.values() if name in bvh.joint_names})
    end_sites = sorted({name[: -len(END_SITE)] for name in chosen.values() if name not in bvh.joint_names})
    positions = bvh.world_positions(joints, end_sites)
    out = np.zeros((bvh.frames, 17, 3))
    for h36m_name, name in chosen.items():
        out[:, H36M_ORDER.index(h36m_name)] = positions[name]
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


@functools.lru_cache(maxsize=32)
def _h36m_world_metres(path: Path, modified_ns: int, size: int) -> tuple[np.ndarray, float]:
    """(T, 17, 3) H36M joints in metres (world, Y up, read-only) and the file's fps. Cached per file version:
    bvhio's forward kinematics takes about a second per 1000 frames, and training reads every clip for
    its train and again for its validation split."""
    bvh = read_bvh(path)
    world = h36m_from_bvh(bvh)
    world = world * unit_to_metres(world)
    world.flags.writeable = False
    return world, bvh.fps


def load_bvh_file(path: str | Path, *, fps: float = 50.0, views: int = 4, seed: int = 0) -> list[PoseSequence]:
    """One clip seen by `views` random cameras: 2D pixels + camera-frame root-relative 3D metres."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise InputError(f"{path}: BVH file not found") from None
    world, source_fps = _h36m_world_metres(path.resolve(), stat.st_mtime_ns, stat.st_size)
    world = resample(world, source_fps, fps)
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
