"""Foot skating before and after foot locking on Human3.6M S9/S11 (camera 0, first `--frames` frames).

The motion goes through `motion.postprocess` as the pipeline runs it (savgol smoothing, root trajectory from
the 2D with the true focal length, world frame Y up, foot contacts), from two inputs:
- "gt2d": ground-truth root-relative 3D and ground-truth 2D (projected with distortion);
- "sh2d": ground-truth 3D plus the Stacked Hourglass 2D noise (as benchmarks/motion_smoothing.py) and the
  Stacked Hourglass 2D for the root trajectory (no trained lifter exists yet).
Foot skating = mean horizontal ankle speed (m/s -> mm/s here) over frames detected as in contact; "before" and
"after" use the same contacts. The ground truth's own skating (contacts detected on it) is the reference.

    .venv/bin/python benchmarks/motion_foot_skating.py [--frames 1500] [--save]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from motion_common import camera_views, emit, load_h36m, machine, sh_noise_in_metres

from motion import Motion, detect_foot_contacts, foot_skating, lock_feet, postprocess, to_world
from pstmo.skeleton import mpii_to_h36m
from tracks.track import Track2D


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1500, help="first N frames of each sequence")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/motion_foot_skating.json")
    args = parser.parse_args()
    started = time.perf_counter()
    poses, detections, cameras = load_h36m()
    sums: dict[str, list[float]] = {}
    per_action: dict[str, dict[str, list[float]]] = {}
    for subject, sequences in poses.items():
        camera = cameras[subject][0]
        for sequence, world in sequences.items():
            detected = detections[subject][sequence][0]
            if len(detected) != len(world):
                continue
            world = world[:args.frames]
            joints, truth_2d = camera_views(world, camera)
            noisy = joints + sh_noise_in_metres(joints, detected[:args.frames], truth_2d, camera)
            truth = to_world(Motion(joints, fps=50.0, frame="camera", root_relative=False))
            reference = foot_skating(truth, detect_foot_contacts(truth))
            inputs = {"gt2d": (joints, truth_2d), "sh2d": (noisy, mpii_to_h36m(detected[:args.frames]))}
            values = {"ground_truth": reference}
            for name, (pose, keypoints) in inputs.items():
                track = Track2D(keypoints, np.ones(keypoints.shape[:2]), (camera.res_w, camera.res_h), 50.0)
                motion = postprocess(pose - pose[:, :1], track, smoothing="savgol", focal_length_px=camera.f[0])
                values[f"{name}_before"] = foot_skating(motion, motion.contacts)
                values[f"{name}_after"] = foot_skating(lock_feet(motion, motion.contacts), motion.contacts)
                values[f"{name}_contact_fraction"] = float(motion.contacts.mean())
            action = sequence.split(" ")[0]
            for key, value in values.items():
                if np.isfinite(value):
                    sums.setdefault(key, []).append(value)
                    per_action.setdefault(action, {}).setdefault(key, []).append(value)
    scale = {key: (1.0 if key.endswith("fraction") else 1000.0) for key in sums}
    result = {
        "what": "foot skating (mean horizontal ankle speed in contact, mm/s; contact fractions 0..1), H36M S9+S11 "
                "camera 0, pipeline postprocess (savgol, root trajectory, world Y up) before/after lock_feet",
        "command": f"benchmarks/motion_foot_skating.py --frames {args.frames}", **machine(),
        "sequences": len(sums["ground_truth"]),
        "mean": {key: round(float(np.mean(v)) * scale[key], 3) for key, v in sums.items()},
        "per_action_mean": {a: {k: round(float(np.mean(v)) * scale[k], 2) for k, v in d.items()}
                            for a, d in sorted(per_action.items())},
        "seconds": round(time.perf_counter() - started, 1),
    }
    emit(result, "motion_foot_skating", args.save)


if __name__ == "__main__":
    main()
