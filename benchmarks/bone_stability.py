"""How steady the lifted skeleton is on real videos: the coefficient of variation of each bone's length over
the frames where the person was detected (a rigid body has 0; jittery or confused 3D has more).

    python benchmarks/bone_stability.py [--checkpoint FILE] [--videos A.mp4 B.mp4] [--out FILE]

Runs `Pipeline.process` at its defaults (the app's detector, tracker, target person and lifter; no
exports) on each video, then measures the lifter's output (`result.joints`, before any smoothing or
constant-bone option). Default videos: the two shared BSD-3 clips. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.report import emit, machine_info  # noqa: E402
from pipeline import Pipeline, PipelineSettings  # noqa: E402
from pstmo.skeleton import H36M_BONES, H36M_JOINTS  # noqa: E402

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"


def bone_length_cv(joints: np.ndarray) -> np.ndarray:
    """(16,) coefficient of variation over time of each bone length; joints (T, 17, 3)."""
    lengths = np.stack([np.linalg.norm(joints[:, c] - joints[:, p], axis=-1) for p, c in H36M_BONES], axis=1)
    return lengths.std(axis=0) / lengths.mean(axis=0)


def measure(video: Path, checkpoint: str | None) -> dict:
    settings = PipelineSettings(exports=(), **({"checkpoint": checkpoint} if checkpoint else {}))
    started = time.time()
    with tempfile.TemporaryDirectory() as out:
        result = Pipeline(settings).process(video, out)
    seen = ~np.asarray(result.missing, dtype=bool)
    cv = bone_length_cv(result.joints[seen])
    worst = int(np.argmax(cv))
    return {
        "video": video.name, "frames": int(len(seen)), "frames_seen": int(seen.sum()),
        "person_id": result.track.person_id, "bone_cv_mean": round(float(cv.mean()), 4),
        "bone_cv_max": round(float(cv.max()), 4),
        "worst_bone": f"{H36M_JOINTS[H36M_BONES[worst][0]]}-{H36M_JOINTS[H36M_BONES[worst][1]]}",
        "bone_cv": {f"{H36M_JOINTS[p]}-{H36M_JOINTS[c]}": round(float(v), 4) for (p, c), v in zip(H36M_BONES, cv,
                                                                                                strict=True)},
        "seconds": round(time.time() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=None, help="lifter (default: the shipped default model)")
    parser.add_argument("--videos", nargs="*", type=Path,
                        default=[MEDIA / "sports2d_demo.mp4", MEDIA / "pose2sim_cam01.mp4"])
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    rows = [measure(video, args.checkpoint) for video in args.videos]
    emit({"benchmark": "bone_stability", "checkpoint": args.checkpoint or "default", "videos": rows,
          **machine_info()}, args.out)


if __name__ == "__main__":
    main()
