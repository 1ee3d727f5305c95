"""Shared loading for the motion benchmarks: Human3.6M 3D, cameras and Stacked Hourglass 2D from ../shared."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.report import emit as emit_report  # noqa: E402
from benchmarks.report import machine_info  # noqa: E402
from pstmo.cameras import Camera, load_h36m_cameras, project_to_2d, world_to_camera  # noqa: E402
from pstmo.h36m_files import SHARED_3D, SHARED_SH_2D, load_shared_3d, load_shared_sh_2d  # noqa: E402
from pstmo.skeleton import mpii_to_h36m  # noqa: E402

SHARED = Path(os.environ.get("PSTMO_SHARED_DIR", REPO.parent / "shared"))
H36M = SHARED / "data" / "h36m"
TEST_SUBJECTS = ("S9", "S11")


def load_h36m() -> tuple[dict, dict, dict]:
    """(3D: subject -> action -> (N, 17, 3) world metres, 2D SH: subject -> action -> list of 4 (N, 16, 2) pixels
    or empty, cameras: subject -> 4 Camera)."""
    poses = load_shared_3d(H36M / SHARED_3D, TEST_SUBJECTS, dtype=np.float64)
    detections = load_shared_sh_2d(H36M / SHARED_SH_2D, TEST_SUBJECTS, dtype=np.float64)
    cameras = load_h36m_cameras(H36M / "h36m_cameras.json")
    return poses, detections, cameras


def action_of(sequence: str) -> str:
    return sequence.split(" ")[0]


def camera_views(world: np.ndarray, camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """(camera-frame joints (N, 17, 3) metres, ground-truth 2D (N, 17, 2) pixels with lens distortion)."""
    joints = world_to_camera(world, camera)
    return joints, project_to_2d(joints, camera)


def sh_noise_in_metres(joints_camera: np.ndarray, detected_mpii: np.ndarray, ground_truth_2d: np.ndarray,
                       camera: Camera) -> np.ndarray:
    """The Stacked Hourglass detector's real 2D error (N, 17, 2) px, moved to metres at each joint's depth
    (x, y in the camera frame; no depth error): (N, 17, 3)."""
    detected = mpii_to_h36m(detected_mpii)
    error_px = detected - ground_truth_2d
    noise = np.zeros_like(joints_camera)
    noise[..., :2] = error_px * joints_camera[..., 2:3] / camera.f
    return noise


def machine() -> dict:
    return machine_info()


def emit(result: dict, name: str, save: bool) -> None:
    """Print `result` as JSON; with `save`, also write it to benchmarks/results/<name>.json."""
    emit_report(result, REPO / "benchmarks" / "results" / f"{name}.json" if save else None, indent=1)
