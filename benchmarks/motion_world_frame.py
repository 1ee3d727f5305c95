"""World frame (up direction and floor) from one camera on Human3.6M S9/S11, one person and two people.

`motion.to_world` / `motion.world_frame` find the up direction and the floor from where the feet are. For every
sequence and camera (every `--step`-th frame) the camera-frame poses go in and the error is measured against
the truth: the angle (degrees) between the estimated and the true up direction, and the floor error (mm): the
median estimated height of the lower ankle over the sequence minus its true height above H36M's floor.

Settings ("single_*": one person, as every single-person result; "two_level_*": two people):
- `single_true_root`: ground-truth camera-frame 3D (root included);
- `single_guessed_focal`: ground-truth root-relative 3D, root from the distorted ground-truth 2D with the guessed
  focal length (what `process` does with a perfect lifter: depth scaled by about 0.87);
- `two_level_true_root`: the sequence plus the other test subject's sequence of the same name shifted 2 m further
  from the camera and 1.4 m up, for its first half (standing on a 1.4 m wall, like the man of the shared sports2d
  clip) and on the floor for the second half; both people in one `world_frame` call.

    .venv/bin/python benchmarks/motion_world_frame.py [--step 10] [--save] [--name NAME]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
from motion_common import action_of, camera_views, emit, load_h36m, machine

from motion import Motion, estimate_root_trajectory, to_world, world_frame
from pstmo.cameras import world_to_camera

WALL_HEIGHT = 1.4
WALL_BACK = 2.0


def _up_error_degrees(rotation: np.ndarray, camera) -> float:
    true_up = camera.R @ np.array([0.0, 0.0, 1.0])  # H36M world is Z up
    return float(np.degrees(np.arccos(np.clip(rotation[1] @ true_up, -1.0, 1.0))))


def _floor_error_mm(world_y_up: np.ndarray, world_true: np.ndarray) -> float:
    estimated = np.median(world_y_up[:, [3, 6], 1].min(axis=1))
    true = np.median(world_true[:, [3, 6], 2].min(axis=1))
    return float(1000 * (estimated - true))


def _two_level_up(first: np.ndarray, second: np.ndarray, camera) -> tuple[float, float]:
    """Up error (degrees) and floor error (mm) with a second person on a wall for half the frames."""
    frames = min(len(first), len(second))
    other = second[:frames].copy()
    towards = camera.R[2] * np.array([1.0, 1.0, 0.0])  # the camera's viewing direction on the floor
    towards /= np.linalg.norm(towards)
    other[:, :, :2] += WALL_BACK * towards[:2]
    other[: frames // 2, :, 2] += WALL_HEIGHT
    people = [world_to_camera(first[:frames], camera), world_to_camera(other, camera)]
    frame = world_frame(people)
    world_first = people[0] @ frame.rotation.T + frame.translation
    return _up_error_degrees(frame.rotation, camera), _floor_error_mm(world_first, first[:frames])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=10, help="use every k-th frame")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/<name>.json")
    parser.add_argument("--name", default="motion_world_frame", help="result file name (without .json)")
    parser.add_argument("--single-only", action="store_true", help="skip the two-person settings")
    args = parser.parse_args()
    poses, _, cameras = load_h36m()
    angles: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    floors: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    started = time.perf_counter()
    sequences_done = 0
    for subject, sequences in poses.items():
        other_subject = "S11" if subject == "S9" else "S9"
        for sequence, world in sequences.items():
            world = world[::args.step]
            for camera in cameras[subject]:
                joints, distorted = camera_views(world, camera)
                relative = joints - joints[:, :1]
                root = estimate_root_trajectory(relative, distorted, (camera.res_w, camera.res_h))
                inputs = {"single_true_root": joints, "single_guessed_focal": relative + root[:, None]}
                for name, camera_joints in inputs.items():
                    motion = to_world(Motion(camera_joints, fps=50.0 / args.step, frame="camera",
                                             root_relative=False))
                    rotation = np.array(motion.metadata["camera_to_world"]["R"])
                    angles[name][action_of(sequence)].append(_up_error_degrees(rotation, camera))
                    floors[name][action_of(sequence)].append(_floor_error_mm(motion.joints, world))
                second = poses[other_subject].get(sequence)
                if not args.single_only and second is not None:
                    angle, floor = _two_level_up(world, second[::args.step], camera)
                    angles["two_level_true_root"][action_of(sequence)].append(angle)
                    floors["two_level_true_root"][action_of(sequence)].append(floor)
                sequences_done += 1
    result = {
        "what": "world frame from one camera: up-direction error (degrees) and floor error (mm, median lower-ankle "
                "height estimated minus true), H36M S9+S11 all sequences x 4 cameras",
        "command": f"benchmarks/motion_world_frame.py --step {args.step}", "views": sequences_done,
        "seconds": round(time.perf_counter() - started, 1), **machine(), "settings": {},
    }
    for name in angles:
        every = np.concatenate([np.asarray(v) for v in angles[name].values()])
        floor = np.abs(np.concatenate([np.asarray(v) for v in floors[name].values()]))
        result["settings"][name] = {
            "views": int(len(every)),
            "up_error_deg": {"mean": round(float(every.mean()), 2), "median": round(float(np.median(every)), 2),
                             "p95": round(float(np.percentile(every, 95)), 2), "max": round(float(every.max()), 2),
                             "share_over_10_deg": round(float((every > 10).mean()), 3)},
            "floor_abs_error_mm": {"mean": round(float(floor.mean()), 1),
                                   "median": round(float(np.median(floor)), 1),
                                   "p95": round(float(np.percentile(floor, 95)), 1)},
            "up_error_deg_per_action": {a: round(float(np.mean(v)), 2) for a, v in sorted(angles[name].items())},
        }
    emit(result, args.name, args.save)


if __name__ == "__main__":
    main()
