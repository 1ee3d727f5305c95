"""How right the distance between two people is from one camera: a two-person scene made from Human3.6M.

The single-camera scale ambiguity: a person twice as far away and twice as big makes the same image. Each
person's depth therefore rests on a prior on their size: the lifter's metric skeleton (the body proportions
and size of the H36M adults it learned from) against their 2D size, with one focal length for everyone. This
benchmark measures what that gives for the distance between two people.

Scene: S9 (person A) and S11 (person B) doing the same H36M sequence (the first of each action), B moved 1 m
to the camera's right and 1 m further away, filmed by one real H36M camera (each of S9's 4). Their ground-truth
2D (projected with the lens distortion, every 2nd frame: 25 fps, at most `--frames`) goes through the pipeline's
own steps: the shipped lifter (`pstmo.Lifter.lift`, flip TTA) and `motion.postprocess_people` (root trajectory
per person, one shared world frame). Measured per frame: the estimated distance between the two roots against
the true one (error in metres and relative), and whether the nearer person (to the camera) is found nearer
(frames where their depths differ by more than 0.3 m).

Settings: `lifter` (the shipped lifter's 3D) or `gt_3d` (the ground-truth root-relative 3D: no size error,
what is left is the lens distortion); the person's size from the `height_prior` (the lifter's skeleton) or from
the `floor` (`postprocess_people(scale="floor")`: feet on the shared floor); the `true` focal length or the
`guessed` one (max(w, h) = 1000 px, about 0.87 x the true one: depths shrink by that much, sideways distances
stay); B `as_is` or `small` (B's body scaled by 0.85 about their feet: a person 15 % smaller than the prior).
`stature_m`: the size prior at work: ankle-to-head bone chain (median bone lengths) of the lifter's 3D against
the truth, per person (A = S9, B = S11 as is and small).

    .venv/bin/python benchmarks/multi_person_scale.py [--checkpoint FILE] [--frames 400] [--save]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
from motion_common import action_of, emit, load_h36m, machine

from motion import postprocess_people
from pstmo.cameras import project_to_2d, world_to_camera
from tracks.track import Track2D

OFFSET_RIGHT = 1.0
OFFSET_BACK = 1.0
SMALL = 0.85


def _place(world_b: np.ndarray, camera, scale: float) -> np.ndarray:
    """B moved right of and behind A as seen by `camera`, its body scaled by `scale` about its feet."""
    right = camera.R[0, :2] / np.linalg.norm(camera.R[0, :2])
    back = camera.R[2, :2] / np.linalg.norm(camera.R[2, :2])
    out = world_b.copy()
    if scale != 1.0:
        feet = np.concatenate([world_b[:, :1, :2], np.zeros((len(world_b), 1, 1))], axis=2)
        out = feet + scale * (world_b - feet)
    out[:, :, :2] += OFFSET_RIGHT * right + OFFSET_BACK * back
    return out


STATURE_CHAIN = (3, 2, 1, 0, 7, 8, 9, 10)
"""Right ankle, knee, hip, pelvis, spine, thorax, neck/nose, head: the bone chain that makes a person's height."""


def stature(joints: np.ndarray) -> float:
    """Metres: the sum of the median lengths of the bones along `STATURE_CHAIN` of (T, 17, 3) joints."""
    chain = joints[:, list(STATURE_CHAIN)]
    return float(np.median(np.linalg.norm(np.diff(chain, axis=1), axis=-1), axis=0).sum())


def _track(pixels: np.ndarray, camera, fps: float, person: int) -> Track2D:
    return Track2D(pixels, np.ones(pixels.shape[:2]), (camera.res_w, camera.res_h), fps, person_id=person)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=None, help="lifter (default: the shipped default model)")
    parser.add_argument("--frames", type=int, default=400, help="at most this many frames per sequence (25 fps)")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/multi_person_scale.json")
    args = parser.parse_args()
    import torch

    from pipeline.settings import default_checkpoint
    from pstmo import Lifter

    torch.set_num_threads(1)
    checkpoint = args.checkpoint or str(default_checkpoint())
    lifter = Lifter.from_checkpoint(checkpoint, device="cpu")
    poses, _, cameras = load_h36m()
    first = {}
    for sequence in sorted(poses["S9"]):
        first.setdefault(action_of(sequence), sequence)
    distance_error: dict[str, list] = defaultdict(list)
    ratio: dict[str, list] = defaultdict(list)
    order: dict[str, list] = defaultdict(list)
    statures: dict[str, list] = defaultdict(list)
    started = time.perf_counter()
    pairs = 0
    fps = 25.0
    for _action, sequence in sorted(first.items()):
        if sequence not in poses["S11"]:
            continue
        frames = min(len(poses["S9"][sequence]), len(poses["S11"][sequence])) // 2
        frames = min(frames, args.frames)
        world_a = poses["S9"][sequence][: 2 * frames: 2]
        for camera in cameras["S9"]:
            for size, scale in (("as_is", 1.0), ("small", SMALL)):
                world_b = _place(poses["S11"][sequence][: 2 * frames: 2], camera, scale)
                truth = [world_to_camera(world_a, camera), world_to_camera(world_b, camera)]
                pixels = [project_to_2d(joints, camera) for joints in truth]
                tracks = [_track(p, camera, fps, n) for n, p in enumerate(pixels)]
                lifted = [lifter.lift(p, (camera.res_w, camera.res_h), flip=True) for p in pixels]
                for name, joints, true in (("A", lifted[0], truth[0]), (f"B_{size}", lifted[1], truth[1])):
                    statures[f"{name}_lifter"].append(stature(joints))
                    statures[f"{name}_true"].append(stature(true))
                true_distance = np.linalg.norm(truth[0][:, 0] - truth[1][:, 0], axis=-1)
                nearer = truth[0][:, 0, 2] < truth[1][:, 0, 2]
                separated = np.abs(truth[0][:, 0, 2] - truth[1][:, 0, 2]) > 0.3
                inputs = {"lifter": lifted, "gt_3d": [t - t[:, :1] for t in truth]}
                for source, method in (("lifter", "height_prior"), ("lifter", "floor"), ("gt_3d", "height_prior")):
                    for focal_name, focal in (("true", float(np.mean(camera.f))), ("guessed", None)):
                        people = list(zip(inputs[source], tracks, strict=True))
                        motions = postprocess_people(people, focal_length_px=focal, scale=method)
                        roots = [m.joints[:, 0] for m in motions]
                        estimate = np.linalg.norm(roots[0] - roots[1], axis=-1)
                        camera_centre = np.array(motions[0].metadata["camera_to_world"]["t"])
                        depth = [np.linalg.norm(r - camera_centre, axis=-1) for r in roots]
                        key = f"{source}_{method}_{focal_name}_focal_{size}"
                        distance_error[key].append(estimate - true_distance)
                        ratio[key].append(estimate / true_distance)
                        order[key].append((depth[0] < depth[1])[separated] == nearer[separated])
                pairs += 1
    result = {
        "what": "distance between two people from one camera (H36M S9 + S11 on one floor, one real camera, GT 2D "
                "with lens distortion): estimated minus true root distance (m), estimated / true, and the share "
                "of frames where the nearer person is found nearer",
        "command": f"benchmarks/multi_person_scale.py --frames {args.frames}", "checkpoint": checkpoint,
        "scenes": pairs, "seconds": round(time.perf_counter() - started, 1), **machine(), "settings": {},
        "offset_m": {"right": OFFSET_RIGHT, "back": OFFSET_BACK}, "small_scale": SMALL,
        "stature_m": {k: round(float(np.mean(v)), 3) for k, v in sorted(statures.items())},
    }
    for key in sorted(distance_error):
        error = np.concatenate(distance_error[key])
        rel = np.concatenate(ratio[key])
        right_order = np.concatenate(order[key])
        result["settings"][key] = {
            "frames": int(len(error)),
            "distance_error_m": {"median_abs": round(float(np.median(np.abs(error))), 3),
                                 "mean": round(float(error.mean()), 3),
                                 "p95_abs": round(float(np.percentile(np.abs(error), 95)), 3)},
            "ratio": {"median": round(float(np.median(rel)), 3), "p5": round(float(np.percentile(rel, 5)), 3),
                      "p95": round(float(np.percentile(rel, 95)), 3)},
            "depth_order_right": round(float(right_order.mean()), 4) if len(right_order) else None,
        }
    emit(result, "multi_person_scale", args.save)


if __name__ == "__main__":
    main()
