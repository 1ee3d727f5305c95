"""Smoothing on Human3.6M S9/S11 with the Stacked Hourglass detector's real noise.

By default the input is NOT a lifter's output: it is the ground-truth root-relative 3D pose (camera frame,
camera 0, first `--frames` frames of every sequence) plus the Stacked Hourglass 2D error of the same frames
moved to metres at each joint's depth (x, y only; see `motion_common.sh_noise_in_metres`). That keeps the
detector's real temporal structure (jitter, drifts, failures). The noise is heavier than a temporal lifter's
output, so the tuned parameters smooth more than the library's DEFAULTS, which are also reported. Metrics
(pstmo.metrics, root-relative, mm): MPJPE, MPJVE (per frame), acceleration error, before and after each
smoother. Parameters are chosen on S9 (grid below, lowest MPJPE) and reported on S11.

With `--checkpoint FILE` the input is that lifter's output on the same Stacked Hourglass 2D (the real case).

    .venv/bin/python benchmarks/motion_smoothing.py [--frames 1000] [--checkpoint assets/models/default.json] [--save]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
from motion_common import camera_views, emit, load_h36m, machine, mpii_to_h36m, sh_noise_in_metres

from motion.smoothing import DEFAULTS, smooth_array
from pstmo.metrics import acceleration_error, mpjpe, mpjve

GRID = {
    "one_euro": {"min_cutoff": [0.5, 1.0, 2.0, 4.0, 8.0], "beta": [0.0, 2.0, 8.0, 32.0], "d_cutoff": [1.0]},
    "savgol": {"window_s": [0.1, 0.2, 0.3, 0.4, 0.5, 0.8], "polyorder": [2, 4]},
    "butterworth": {"cutoff_hz": [2.0, 3.0, 4.0, 6.0, 8.0], "order": [4]},
}
FPS = 50.0


def sequences(poses, detections, cameras, subject, frames, lifter=None):
    """(truth, estimate) root-relative camera-frame pairs (N, 17, 3) metres per sequence of `subject`.

    estimate = GT + the SH 2D error moved to metres, or, with `lifter`, the lifter's output on the SH 2D."""
    camera = cameras[subject][0]
    for name, world in poses[subject].items():
        detected = detections[subject][name][0]
        if len(detected) != len(world):
            continue
        joints, truth_2d = camera_views(world[:frames], camera)
        if lifter is not None:
            estimate = lifter.lift(mpii_to_h36m(detected[:frames]), image_size=(camera.res_w, camera.res_h))
        else:
            estimate = joints + sh_noise_in_metres(joints, detected[:frames], truth_2d, camera)
        yield joints - joints[:, :1], estimate - estimate[:, :1]


def scores(pairs, method=None, params=None):
    totals = np.zeros(3)
    count = 0
    for truth, noisy in pairs:
        estimate = noisy if method is None else smooth_array(noisy, FPS, method, **params)
        estimate = estimate - estimate[:, :1]
        totals += len(truth) * np.array([mpjpe(estimate, truth), mpjve(estimate, truth),
                                         acceleration_error(estimate, truth)])
        count += len(truth)
    mpjpe_mm, mpjve_mm, accel_mm = totals / count * 1000
    return {"mpjpe_mm": round(mpjpe_mm, 2), "mpjve_mm_per_frame": round(mpjve_mm, 2),
            "accel_error_mm_per_frame2": round(accel_mm, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000, help="first N frames of each sequence")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/motion_smoothing.json")
    parser.add_argument("--checkpoint", default=None,
                        help="smooth this lifter's output on the Stacked Hourglass 2D instead of GT + SH noise "
                             "(saved as motion_smoothing_lifter.json)")
    args = parser.parse_args()
    started = time.perf_counter()
    poses, detections, cameras = load_h36m()
    lifter = None
    if args.checkpoint:
        from pstmo import Lifter

        lifter = Lifter.from_checkpoint(args.checkpoint, device="cpu")
    tune = list(sequences(poses, detections, cameras, "S9", args.frames, lifter))
    test = list(sequences(poses, detections, cameras, "S11", args.frames, lifter))
    clean = [(truth, truth) for truth, _ in test]  # what smoothing costs on perfect input (lag, rounded peaks)
    what = (f"smoothing of the lifter {args.checkpoint}'s output (flip TTA) on the Stacked Hourglass 2D"
            if lifter is not None else
            "smoothing of GT root-relative 3D + real Stacked Hourglass 2D noise lifted to metres (no lifter)")
    result = {
        "what": what + "; camera 0, 50 fps; params tuned on S9, reported on S11",
        "command": "benchmarks/motion_smoothing.py " + " ".join(
            [f"--frames {args.frames}"] + ([f"--checkpoint {args.checkpoint}"] if args.checkpoint else [])),
        **machine(),
        "frames_s9": sum(len(t) for t, _ in tune), "frames_s11": sum(len(t) for t, _ in test),
        "s11_unsmoothed": scores(test), "methods": {},
    }
    for method, grid in GRID.items():
        trials = []
        for values in itertools.product(*grid.values()):
            params = dict(zip(grid, values, strict=True))
            trials.append((scores(tune, method, params)["mpjpe_mm"], params))
        best_mpjpe, best = min(trials, key=lambda trial: trial[0])
        result["methods"][method] = {"params": best, "s9_mpjpe_mm": best_mpjpe, "s11": scores(test, method, best),
                                     "defaults": DEFAULTS[method], "s11_defaults": scores(test, method, {}),
                                     "s11_clean_input_defaults": scores(clean, method, {}),
                                     "s9_grid_mpjpe_mm": {
            ",".join(f"{k}={v}" for k, v in p.items()): m for m, p in trials}}
    result["seconds"] = round(time.perf_counter() - started, 1)
    emit(result, "motion_smoothing_lifter" if lifter is not None else "motion_smoothing", args.save)


if __name__ == "__main__":
    main()
