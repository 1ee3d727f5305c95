"""Root trajectory from one camera on Human3.6M S9/S11: ground-truth 2D in, true camera-frame root out.

For every sequence and camera (every `--step`-th frame): the ground-truth root-relative 3D pose in the camera
frame and its 2D projection go into `motion.estimate_root_trajectory`; the error is the distance (mm) between
the estimated and the true pelvis position. Three settings: 2D projected with the lens distortion and the true
focal length / principal point ("distorted_known_focal", the realistic one); 2D without distortion
("pinhole_known_focal", checks the solver: should be ~0); distorted 2D with the guessed focal length and the
image centre ("distorted_guessed_focal"); the Stacked Hourglass detections (MPII-16 -> H36M-17) with the true
focal length ("sh_detections_known_focal": real 2D noise, still ground-truth 3D).

    .venv/bin/python benchmarks/motion_root_trajectory.py [--step 10] [--save]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
from motion_common import action_of, camera_views, emit, load_h36m, machine

from motion import estimate_root_trajectory
from pstmo.cameras import project_to_2d_linear
from pstmo.skeleton import mpii_to_h36m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=10, help="use every k-th frame")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/motion_root_trajectory.json")
    args = parser.parse_args()
    poses, detections, cameras = load_h36m()
    errors: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    started = time.perf_counter()
    frames = 0
    for subject, sequences in poses.items():
        for sequence, world in sequences.items():
            for view, camera in enumerate(cameras[subject]):
                joints, distorted = camera_views(world[::args.step], camera)
                relative = joints - joints[:, :1]
                pinhole = project_to_2d_linear(joints, camera)
                size = (camera.res_w, camera.res_h)
                known = {"focal_length_px": tuple(camera.f), "principal_point": tuple(camera.c)}
                settings = {
                    "distorted_known_focal": estimate_root_trajectory(relative, distorted, size, **known),
                    "pinhole_known_focal": estimate_root_trajectory(relative, pinhole, size, **known),
                    "distorted_guessed_focal": estimate_root_trajectory(relative, distorted, size),
                }
                detected = detections[subject][sequence][view]
                if len(detected) == len(world):
                    sh_2d = mpii_to_h36m(detected[::args.step])
                    settings["sh_detections_known_focal"] = estimate_root_trajectory(relative, sh_2d, size, **known)
                for name, root in settings.items():
                    errors[name][action_of(sequence)].append(np.linalg.norm(root - joints[:, 0], axis=-1))
                frames += len(joints)
    elapsed = time.perf_counter() - started
    result = {
        "what": "root position error (mm), camera frame, H36M S9+S11 all sequences and cameras, GT root-relative 3D "
                "and GT 2D (projected) in; mean per action, and overall mean/median/p95",
        "command": f"benchmarks/motion_root_trajectory.py --step {args.step}",
        "frames": frames, "seconds": round(elapsed, 1), **machine(), "settings": {},
    }
    for name, per_action in errors.items():
        every = np.concatenate([np.concatenate(v) for v in per_action.values()]) * 1000
        result["settings"][name] = {
            "mean_mm": round(float(every.mean()), 2), "median_mm": round(float(np.median(every)), 2),
            "p95_mm": round(float(np.percentile(every, 95)), 2),
            "per_action_mean_mm": {a: round(float(np.concatenate(v).mean() * 1000), 2)
                                   for a, v in sorted(per_action.items())},
        }
    emit(result, "motion_root_trajectory", args.save)


if __name__ == "__main__":
    main()
