"""Human3.6M loaders: the shared int16 release and users' VideoPose3D npz files -> `PoseSequence`s.

Layouts understood (in `data_dir`):
- shared: `data_3d_h36m_int16.npz` (17 joints, tenths of mm, world frame) + `data_2d_h36m_sh_qpx_int16.npz`
  (Stacked Hourglass, MPII-16, quarter pixels) + `h36m_cameras.json`.
- VideoPose3D: `data_3d_h36m.npz` (32 joints, metres, world frame) + `data_2d_h36m_{gt,cpn_ft_h36m_dbb,
  detectron_ft_h36m}.npz` (17 joints, pixels) + `h36m_cameras.json` (cameras are not in VideoPose3D's npz).

2D inputs: `gt` (3D projected with the camera's distortion), `gt+noise` (gt plus Gaussian noise of `noise_px`
pixels, seeded), `sh`, `cpn`, `detectron`. Protocol: train S1, S5, S6, S7, S8; test S9, S11; the sequence
S11 "Directions" is always excluded (a corrupted video in the original release).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from pstmo.cameras import Camera, load_h36m_cameras, project_to_2d, world_to_camera
from pstmo.errors import InputError
from pstmo.h36m_files import SHARED_3D, SHARED_SH_2D, metres, pixels, read_dict_archive
from pstmo.metrics import action_of
from pstmo.skeleton import mpii_to_h36m
from training.sequences import PoseSequence, root_relative

TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS = ("S9", "S11")
EXCLUDED = {("S11", "Directions")}
INPUTS = ("gt", "gt+noise", "sh", "cpn", "detectron")
H36M_FPS = 50.0

VP3D_32_TO_17 = np.array([0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27])
"""Indices of the 17 evaluated joints among VideoPose3D's 32 H36M mocap joints."""

_VP3D_2D_FILES = {
    "gt": "data_2d_h36m_gt.npz",
    "cpn": "data_2d_h36m_cpn_ft_h36m_dbb.npz",
    "detectron": "data_2d_h36m_detectron_ft_h36m.npz",
}
_SHARED_3D = SHARED_3D
_SHARED_SH = SHARED_SH_2D
_VP3D_3D = "data_3d_h36m.npz"

ACTION_NAMES = {"Photo": "TakingPhoto", "WalkDog": "WalkingDog"}
"""Release action names -> the names papers print."""


def _load_npz_dict(path: Path, key: str) -> dict:
    """`{"data": npz[key] as a dict, "metadata": ...}`; cached per file version (treat as read-only)."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    stat = path.stat()
    return _load_npz_dict_cached(str(path.resolve()), key, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _load_npz_dict_cached(name: str, key: str, _mtime: int, _size: int) -> dict:
    value, metadata = read_dict_archive(Path(name), key)  # no pickled code runs (pstmo.safe_npz)
    return {"data": value, "metadata": metadata}


def _layout(data_dir: Path) -> str:
    if (data_dir / _SHARED_3D).is_file():
        return "shared"
    if (data_dir / _VP3D_3D).is_file():
        return "vp3d"
    if not data_dir.is_dir():
        raise InputError(f"{data_dir}: data folder not found")
    raise InputError(f"{data_dir}: no Human3.6M 3D file ({_SHARED_3D} or {_VP3D_3D})")


def _poses_3d_world(path: Path, layout: str) -> dict[str, dict[str, np.ndarray]]:
    """subject -> action -> (T, 17, 3) metres, world frame."""
    loaded = _load_npz_dict(path, "positions_3d")["data"]
    out: dict[str, dict[str, np.ndarray]] = {}
    for subject, actions in loaded.items():
        out[subject] = {}
        for action, array in actions.items():
            array = np.asarray(array)
            if layout == "shared":
                if array.ndim != 3 or array.shape[1:] != (17, 3):
                    raise InputError(f"{path}: {subject}/{action} must be (T, 17, 3), got {array.shape}")
                poses = metres(array)
            else:
                if array.ndim != 3 or array.shape[2] != 3 or array.shape[1] not in (17, 32):
                    raise InputError(f"{path}: {subject}/{action} must be (T, 32, 3), got {array.shape}")
                poses = array.astype(np.float32)
                if array.shape[1] == 32:
                    poses = poses[:, VP3D_32_TO_17]
            if len(poses) == 0:
                raise InputError(f"{path}: {subject}/{action} is empty (0 frames)")
            if not np.isfinite(poses).all():
                raise InputError(f"{path}: {subject}/{action} contains NaN or infinite values")
            out[subject][action] = poses
    return out


def _detections(data_dir: Path, input_name: str, layout: str) -> tuple[Path, dict] | None:
    """subject -> action -> list of (T, 17, 2) pixel arrays per camera, or None for `gt` (projected)."""
    if input_name in ("gt", "gt+noise"):
        return None
    if input_name == "sh":
        path = data_dir / _SHARED_SH
        loaded = _load_npz_dict(path, "positions_2d")["data"]
        out: dict = {}
        for subject, actions in loaded.items():
            out[subject] = {}
            for action, views in actions.items():
                converted = []
                for view in views:
                    view = np.asarray(view)
                    if view.ndim != 3 or view.shape[1:] != (16, 2):
                        raise InputError(f"{path}: {subject}/{action} views must be (T, 16, 2), got {view.shape}")
                    converted.append(mpii_to_h36m(pixels(view)) if len(view) else None)
                out[subject][action] = converted
        return path, out
    if input_name in ("cpn", "detectron"):
        path = data_dir / _VP3D_2D_FILES[input_name]
        if not path.is_file():
            raise InputError(f"{path}: file not found (input '{input_name}' needs VideoPose3D's 2D detections)")
        loaded = _load_npz_dict(path, "positions_2d")["data"]
        out = {}
        for subject, actions in loaded.items():
            out[subject] = {}
            for action, views in actions.items():
                converted = []
                for view in views:
                    view = np.asarray(view, dtype=np.float32)
                    if view.ndim != 3 or view.shape[1:] != (17, 2):
                        raise InputError(f"{path}: {subject}/{action} views must be (T, 17, 2), got {view.shape}")
                    converted.append(view if len(view) else None)
                out[subject][action] = converted
        return path, out
    raise InputError(f"unknown 2D input '{input_name}'; use one of {', '.join(INPUTS)}")


def load_h36m(
    data_dir: str | Path,
    subjects: Iterable[str],
    *,
    input_2d: str = "gt",
    noise_px: float = 5.0,
    seed: int = 0,
    cameras_path: str | Path | None = None,
    actions: Iterable[str] | None = None,
    max_sequences: int | None = None,
    cameras: Iterable[int] | None = None,
) -> list[PoseSequence]:
    """Human3.6M clips of `subjects` as one `PoseSequence` per (subject, action, camera view).

    `actions` keeps only those actions (base names, e.g. 'Walking'); `max_sequences` keeps the first n
    (subject, action) pairs in sorted order (for tests); `cameras` keeps those camera indices (0-3).
    3D targets are camera frame, root-relative metres; 2D inputs pixels. Clips with projected 2D (`gt`,
    `gt+noise`) also carry their world-frame 3D (z up), for virtual cameras.
    """
    data_dir = Path(data_dir)
    if input_2d not in INPUTS:
        raise InputError(f"unknown 2D input '{input_2d}'; use one of {', '.join(INPUTS)}")
    layout = _layout(data_dir)
    path_3d = data_dir / (_SHARED_3D if layout == "shared" else _VP3D_3D)
    poses = _poses_3d_world(path_3d, layout)
    cam_path = Path(cameras_path) if cameras_path else data_dir / "h36m_cameras.json"
    all_cameras = load_h36m_cameras(cam_path)
    detections = _detections(data_dir, input_2d, layout)
    rng = np.random.default_rng(seed)
    wanted_actions = set(actions) if actions is not None else None
    wanted_cameras = set(cameras) if cameras is not None else None

    sequences: list[PoseSequence] = []
    pairs = 0
    for subject in subjects:
        if subject not in poses:
            raise InputError(f"{path_3d}: no subject {subject} (has {', '.join(sorted(poses))})")
        if subject not in all_cameras:
            raise InputError(f"{cam_path}: no cameras for subject {subject}")
        for action in sorted(poses[subject]):
            base = action_of(action)
            if (subject, base) in EXCLUDED:
                continue
            if wanted_actions is not None and base not in wanted_actions:
                continue
            if max_sequences is not None and pairs >= max_sequences:
                break
            pairs += 1
            world = poses[subject][action]
            views = None
            if detections is not None:
                det_path, det = detections
                views = det.get(subject, {}).get(action)
                if views is None:
                    raise InputError(f"{det_path}: no 2D detections for {subject}/{action}")
            for index, camera in enumerate(all_cameras[subject]):
                if wanted_cameras is not None and index not in wanted_cameras:
                    continue
                sequence = _view(world, camera, views, index, input_2d, noise_px, rng)
                if sequence is None:
                    continue
                keypoints, pose_3d = sequence
                sequences.append(
                    PoseSequence(
                        name=f"{subject}/{action}/{camera.id}",
                        keypoints_2d=keypoints,
                        pose_3d=pose_3d,
                        image_size=(camera.res_w, camera.res_h),
                        fps=H36M_FPS,
                        subject=subject,
                        action=ACTION_NAMES.get(base, base),
                        camera=camera.id,
                        pose_world=world[: len(pose_3d)] if views is None else None,
                    )
                )
    if not sequences:
        raise InputError(f"{data_dir}: no Human3.6M sequences for subjects {', '.join(subjects)}")
    return sequences


def _view(
    world: np.ndarray,
    camera: Camera,
    views: list | None,
    index: int,
    input_2d: str,
    noise_px: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray] | None:
    """(2D pixels, 3D camera-frame root-relative metres) of one camera view, or None if the view is missing."""
    cam_3d = world_to_camera(world, camera).astype(np.float32)
    if views is None:
        keypoints = project_to_2d(cam_3d, camera).astype(np.float32)
        if input_2d == "gt+noise" and noise_px > 0:
            keypoints = keypoints + rng.normal(0.0, noise_px, keypoints.shape).astype(np.float32)
    else:
        if index >= len(views) or views[index] is None:
            return None
        keypoints = views[index]
        length = min(len(keypoints), len(cam_3d))  # VideoPose3D trims detections to the mocap length
        keypoints, cam_3d = keypoints[:length], cam_3d[:length]
    return keypoints, root_relative(cam_3d)
