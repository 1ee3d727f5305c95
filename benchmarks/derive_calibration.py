"""Re-derive the constants of `detectors.calibration` from evidence other than the H36M test frames.

    .venv/bin/python benchmarks/derive_calibration.py [--shared ../shared]

1. H36M skeleton proportions: 3D joints of subjects S6, S9 and S11 (every 10th frame; the four test
   frames are of S1, S5, S7, S8), measured along the torso axis (mid-hips -> mid-shoulders, length L).
2. BlazePose's own proportions: its 3D world landmarks on the two sample videos, in frames where hips,
   shoulders and knees are all confidently seen.
Prints JSON with the measured ratios and the derived constants next to the ones in the code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors import calibration  # noqa: E402
from pstmo.h36m_files import SHARED_3D, load_shared_3d  # noqa: E402

H36M_SUBJECTS = ("S6", "S9", "S11")


def _along(vectors: np.ndarray, axis: np.ndarray, length: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", vectors, axis) / length


def h36m_proportions(data_3d: Path, subjects=H36M_SUBJECTS, step: int = 10) -> dict:
    """Median ratios of the H36M-17 skeleton (world-frame metres) in units of the torso length L."""
    positions = load_shared_3d(data_3d, subjects, dtype=np.float64)
    poses = np.concatenate([a[::step] for s in subjects for a in positions[s].values()])
    pelvis, rhip, rknee, lhip, lknee = (poses[:, i] for i in (0, 1, 2, 4, 5))
    spine, thorax, nose, lshoulder, rshoulder = (poses[:, i] for i in (7, 8, 9, 11, 14))
    head = poses[:, 10]
    mid_hip, mid_shoulder = (lhip + rhip) / 2, (lshoulder + rshoulder) / 2
    length = np.linalg.norm(mid_shoulder - mid_hip, axis=1)
    axis = (mid_shoulder - mid_hip) / length[:, None]
    thigh = (np.linalg.norm(rknee - rhip, axis=1) + np.linalg.norm(lknee - lhip, axis=1)) / 2
    return {
        "frames": len(poses),
        "pelvis_above_mid_hips": float(np.median(_along(pelvis - mid_hip, axis, length))),
        "thorax_above_mid_shoulders": float(np.median(_along(thorax - mid_shoulder, axis, length))),
        "spine_above_mid_hips": float(np.median(_along(spine - mid_hip, axis, length))),
        "head_above_nose": float(np.median(_along(head - nose, axis, length))),
        "thigh_over_torso": float(np.median(thigh / length)),
        "hip_over_shoulder_width": float(np.median(np.linalg.norm(lhip - rhip, axis=1)
                                                   / np.linalg.norm(lshoulder - rshoulder, axis=1))),
    }


def blazepose_proportions(videos: list[Path], step: int = 2, min_score: float = 0.8) -> dict:
    """Median ratios of BlazePose's 3D world landmarks over confidently seen frames of `videos`."""
    from detectors.mediapipe_backend import MediaPipeDetector
    from pipeline.sources import VideoFileSource

    detector = MediaPipeDetector(max_people=1)
    world = []
    try:
        for video in videos:
            detector.reset()
            with VideoFileSource(video) as source:
                for frame in source:
                    if frame.index % step:
                        continue
                    people = detector.detect(frame.image)
                    if people and "world_landmarks" in people[0].extra and \
                            people[0].scores[[11, 12, 23, 24, 25, 26]].min() >= min_score:
                        world.append(people[0].extra["world_landmarks"])
    finally:
        detector.close()
    points = np.array(world, dtype=np.float64)
    lshoulder, rshoulder, lhip, rhip, lknee, rknee = (points[:, i] for i in (11, 12, 23, 24, 25, 26))
    mid_hip, mid_shoulder = (lhip + rhip) / 2, (lshoulder + rshoulder) / 2
    length = np.linalg.norm(mid_shoulder - mid_hip, axis=1)
    thigh = (np.linalg.norm(rknee - rhip, axis=1) + np.linalg.norm(lknee - lhip, axis=1)) / 2
    return {
        "frames": len(points),
        "thigh_over_torso": float(np.median(thigh / length)),
        "hip_over_shoulder_width": float(np.median(np.linalg.norm(lhip - rhip, axis=1)
                                                   / np.linalg.norm(lshoulder - rshoulder, axis=1))),
    }


def derive(h36m: dict, blazepose: dict) -> dict:
    """Hip raise d solves (thigh_bp + d) / (1 - d) = thigh_h36m; widen = width ratio of ratios."""
    target, thigh = h36m["thigh_over_torso"], blazepose["thigh_over_torso"]
    return {
        "HIP_RAISE": (target - thigh) / (1.0 + target),
        "HIP_WIDEN": h36m["hip_over_shoulder_width"] / blazepose["hip_over_shoulder_width"],
        "THORAX_ABOVE_SHOULDERS": h36m["thorax_above_mid_shoulders"],
        "SPINE_ABOVE_PELVIS": h36m["spine_above_mid_hips"],
        "HEAD_ABOVE_NOSE": h36m["head_above_nose"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    args = parser.parse_args()
    h36m = h36m_proportions(args.shared / "data" / "h36m" / SHARED_3D)
    media = args.shared / "media"
    blazepose = blazepose_proportions([media / "pose2sim_cam01.mp4", media / "sports2d_demo.mp4"])
    derived = derive(h36m, blazepose)
    in_code = {name: getattr(calibration, name) for name in derived}
    print(json.dumps({"h36m": h36m, "blazepose": blazepose, "derived": derived, "in_code": in_code}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
