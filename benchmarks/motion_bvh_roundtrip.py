"""BVH round trip: our BVH read back with the independent `bvhio` parser, its forward kinematics compared with
the bone-length-normalised input (max and mean joint error, mm).

Inputs: Human3.6M S9 and S11, every sequence, every `--step`-th frame (world frame, Z up); the three CMU clips
in ../shared/data/cmu_bvh (their joints -> H36M-17 positions -> our BVH -> positions), every `--cmu-step`-th
frame; generated motion (every bone swinging, the body spinning 720 degrees).

    .venv/bin/python benchmarks/motion_bvh_roundtrip.py [--step 10] [--cmu-step 4] [--save]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from motion_common import REPO, SHARED, emit, load_h36m, machine

sys.path.insert(0, str(REPO / "tests" / "motion"))

from motion import Motion, export  # noqa: E402
from motion.bones import set_bone_lengths, symmetric_bone_lengths  # noqa: E402
from motion.bvh_read import read_bvh_h36m, read_bvh_joint_positions  # noqa: E402
from motion.export_bvh import to_y_up  # noqa: E402

CMU_UNIT_M = 0.05644
CMU_TO_H36M = ["Hips", "RightHip", "RightKnee", "RightAnkle", "LeftHip", "LeftKnee", "LeftAnkle", None, "lowerneck",
               "Head", "Head End Site", "LeftShoulder", "LeftElbow", "LeftWrist", "RightShoulder", "RightElbow",
               "RightWrist"]


def cmu_joints(path: Path, step: int) -> np.ndarray:
    """(T, 17, 3) metres, Y up: CMU joints as H36M-17 (Spine = mid(Hips, lowerneck); head top = Head End Site)."""
    names = [name for name in CMU_TO_H36M if name and not name.endswith("End Site")]
    positions, _ = read_bvh_joint_positions(path, names=names, end_sites=["Head"])
    frames = {name: values[::step] * CMU_UNIT_M for name, values in positions.items()}
    joints = [frames[name] if name else (frames["Hips"] + frames["lowerneck"]) / 2 for name in CMU_TO_H36M]
    return np.stack(joints, axis=1)


def round_trip(motion: Motion, folder: Path) -> np.ndarray:
    path = folder / "motion.bvh"
    export(motion, path)
    read_back, _ = read_bvh_h36m(path)
    reference = to_y_up(motion)
    reference = set_bone_lengths(reference, symmetric_bone_lengths(reference))
    return np.linalg.norm(read_back - reference, axis=-1) * 1000


def summary(errors: list[np.ndarray]) -> dict:
    every = np.concatenate([e.ravel() for e in errors])
    return {"max_mm": float(f"{every.max():.6f}"), "mean_mm": float(f"{every.mean():.6f}"), "joints": int(every.size)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--cmu-step", type=int, default=4)
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/motion_bvh_roundtrip.json")
    args = parser.parse_args()
    started = time.perf_counter()
    from conftest import _generated_positions

    poses, _, _ = load_h36m()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        h36m = [round_trip(Motion(world[::args.step], fps=50.0 / args.step, frame="world_z_up", root_relative=False),
                           folder) for sequences in poses.values() for world in sequences.values()]
        cmu = {path.stem: summary([round_trip(Motion(cmu_joints(path, args.cmu_step), fps=120.0 / args.cmu_step,
                                                     frame="world_y_up", root_relative=False), folder)])
               for path in sorted((SHARED / "data" / "cmu_bvh").glob("*.bvh"))}
        generated = summary([round_trip(Motion(_generated_positions(600, seed), fps=60.0, frame="world_y_up",
                                               root_relative=False), folder) for seed in range(3)])
    result = {
        "what": "BVH written by motion.export, read back by bvhio (independent parser, its own forward kinematics), "
                "vs the bone-length-normalised input; joint position errors in mm",
        "command": f"benchmarks/motion_bvh_roundtrip.py --step {args.step} --cmu-step {args.cmu_step}", **machine(),
        "h36m_s9_s11": {**summary(h36m), "sequences": len(h36m)}, "cmu": cmu, "generated": generated,
        "seconds": round(time.perf_counter() - started, 1),
    }
    emit(result, "motion_bvh_roundtrip", args.save)


if __name__ == "__main__":
    main()
