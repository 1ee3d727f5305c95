"""Lifting speed of `pstmo.Lifter` (frames/s) per model size, batch, flip, threads and precision; prints JSON.

    .venv/bin/python benchmarks/lifter_speed.py                    # both models, 1 and 2 threads
    .venv/bin/python benchmarks/lifter_speed.py --quick --out benchmarks/results/lifter_speed_cpu.json

Models: P-STMO-S N=81 (TEM depth 3) and P-STMO N=243 (TEM depth 4), random weights with randomised
batch-norm statistics (speed does not depend on the values); `--models default live` times the shipped
lifters (`assets/models/`) instead. For each: `Lifter.lift` in float32 and
bfloat16, flip on/off, the given batch sizes and thread counts; the "straightforward" path (the
reference's computation: one edge-padded 2D window per frame through the whole model, SEM recomputed for
every window) at batch 160 without flip; the largest difference between the two (metres); bfloat16 against
float32; batch-1 latency (one `LiftStream.push` in steady state, the live path). CUDA rows are added when a
GPU is present.

The authors' code on this project's 2-core CPU (2 threads, eval, batch 160, no flip), quiet machine:
P-STMO N=243 about 33 frames/s, P-STMO-S N=81 about 170 frames/s, batch-1 latency 29 ms (N=243).
The machine is shared: `fps` is wall-clock and suffers from other load; `fps_per_cpu_second` is frames per
CPU second this process used (over all its threads), less sensitive to load; `uptime` is recorded before and
after.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.report import emit, machine_info  # noqa: E402
from pipeline.settings import MODELS_DIR  # noqa: E402
from pstmo.checkpoint import load_checkpoint  # noqa: E402
from pstmo.config import ModelConfig, preset  # noqa: E402
from pstmo.device import resolve_dtype  # noqa: E402
from pstmo.lifter import Lifter  # noqa: E402
from pstmo.model import PSTMO  # noqa: E402
from pstmo.transforms import normalize_screen_coordinates  # noqa: E402

IMAGE_SIZE = (1000, 1000)
REFERENCE_FPS = {"pstmo-s-81": 170.0, "pstmo-243": 33.0}
"""The authors' code here: frames/s at 2 threads, batch 160, no flip, float32 (given, not measured)."""
REFERENCE_LATENCY_MS = {"pstmo-243": 29.0}
MODELS = {"pstmo-s-81": ("pstmo-s", 81), "pstmo-243": ("pstmo", 243)}
SHIPPED = {name: MODELS_DIR / f"{name}.json" for name in ("default", "live")}


def make_model(name: str, seed: int = 0) -> tuple[PSTMO, ModelConfig]:
    """A paper-sized model with random weights, or a shipped lifter (`default`, `live`) with its own weights."""
    if name in SHIPPED:
        loaded = load_checkpoint(SHIPPED[name], device="cpu")
        return loaded.model.float().eval(), loaded.config
    torch.manual_seed(seed)
    config = preset(*MODELS[name])
    model = PSTMO(config)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.normal_(0, 0.1)
            module.running_var.uniform_(0.5, 2.0)
    return model.eval(), config


def synthetic_track(frames: int, seed: int = 0) -> np.ndarray:
    """(T, 17, 2) pixels: a random walk around the image centre."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(300, 700, size=(1, 17, 2))
    return (start + np.cumsum(rng.normal(scale=2.0, size=(frames, 17, 2)), axis=0)).astype(np.float32)


def straightforward_lift(model: PSTMO, config: ModelConfig, track: np.ndarray, batch_size: int) -> np.ndarray:
    """The reference's computation, no flip: edge-padded windows of raw 2D through `model(x)`, root zeroed."""
    x = normalize_screen_coordinates(track, *IMAGE_SIZE).astype(np.float32)
    pad = (config.frames - 1) // 2 * config.tds
    padded = np.pad(x, ((pad, pad), (0, 0), (0, 0)), mode="edge")
    out = np.empty((len(track), 17, 3), dtype=np.float32)
    with torch.inference_mode():
        for first in range(0, len(track), batch_size):
            frames = range(first, min(first + batch_size, len(track)))
            windows = np.stack([padded[t : t + config.receptive_field : config.tds] for t in frames])
            center, _ = model(torch.from_numpy(windows))
            out[first : frames.stop] = center[:, 0].numpy()
    out[:, 0] = 0.0
    return out


def timed(fn, repeats: int) -> tuple[float, float, object]:
    """Best (wall seconds, CPU seconds) over `repeats` runs after one warm-up, and the last result."""
    result = fn()
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = fn()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        if wall < best_wall:
            best_wall, best_cpu = wall, cpu
    return best_wall, best_cpu, result


def stream_latency_ms(lifter: Lifter, track: np.ndarray, flip: bool, pushes: int) -> tuple[float, float]:
    """Median (wall, CPU) milliseconds of one `push` once the stream answers every frame (steady state)."""
    stream = lifter.stream(IMAGE_SIZE, flip=flip)
    warm = lifter.delay + 2
    walls, cpus = [], []
    for index in range(warm + pushes):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        stream.push(track[index % len(track)])
        if index >= warm:
            walls.append(time.perf_counter() - wall0)
            cpus.append(time.process_time() - cpu0)
    return 1000 * float(np.median(walls)), 1000 * float(np.median(cpus))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def bench_model(name: str, args: argparse.Namespace, rows: list[dict], checks: dict) -> None:
    model, config = make_model(name)
    frames = args.frames or (160 if args.quick else 320)
    track = synthetic_track(frames)
    for threads in args.threads:
        torch.set_num_threads(threads)
        base = {"model": name, "frames_per_window": config.frames, "device": "cpu", "threads": threads}
        wall, cpu, reference = timed(lambda: straightforward_lift(model, config, track, 160), args.repeats)
        rows.append({**base, "path": "straightforward", "dtype": "float32", "flip": False, "batch": 160,
                     "fps": frames / wall, "fps_per_cpu_second": frames / cpu})
        log(f"{rows[-1]}")
        for dtype in (torch.float32, torch.bfloat16):
            lifter = Lifter(model, config, device="cpu", dtype=dtype)
            for flip in (False, True):
                for batch in args.batch:
                    wall, cpu, poses = timed(
                        lambda lifter=lifter, flip=flip, batch=batch: lifter.lift(
                            track, IMAGE_SIZE, flip=flip, batch_size=batch),
                        args.repeats,
                    )
                    rows.append({**base, "path": "lifter", "dtype": str(dtype).removeprefix("torch."), "flip": flip,
                                 "batch": batch, "fps": frames / wall, "fps_per_cpu_second": frames / cpu})
                    log(f"{rows[-1]}")
                    if not flip and threads == args.threads[0]:
                        key = f"{name}/{str(dtype).removeprefix('torch.')}"
                        checks[key + "/max_abs_diff_vs_straightforward_m"] = float(np.abs(poses - reference).max())
                        checks[key + "/mean_joint_distance_vs_straightforward_mm"] = float(
                            1000 * np.linalg.norm(poses - reference, axis=-1).mean())
            for flip in (False, True):
                wall_ms, cpu_ms = stream_latency_ms(lifter, track, flip=flip, pushes=args.pushes)
                rows.append({**base, "path": "stream.push latency", "dtype": str(dtype).removeprefix("torch."),
                             "flip": flip, "batch": 1, "latency_ms": wall_ms, "latency_cpu_ms": cpu_ms})
                log(f"{rows[-1]}")
        checks[f"{name}/output_rms_m"] = float(np.sqrt(np.mean(reference**2)))
    if torch.cuda.is_available():
        for dtype in (torch.float32, torch.bfloat16, torch.float16):
            lifter = Lifter(model, config, device="cuda", dtype=dtype)
            for flip in (False, True):
                wall, cpu, _ = timed(lambda lifter=lifter, flip=flip: lifter.lift(
                    track, IMAGE_SIZE, flip=flip, batch_size=1024), args.repeats)
                rows.append({"model": name, "frames_per_window": config.frames, "device": "cuda", "threads": None,
                             "path": "lifter", "dtype": str(dtype).removeprefix("torch."), "flip": flip,
                             "batch": 1024, "fps": frames / wall})


def h36m_precision(checkpoint: Path, arch: dict, shared: Path, frames_per_sequence: int) -> dict:
    """MPJPE (mm) on H36M S9 and S11 (Stacked Hourglass 2D, camera 0, the first frames of each sequence) in
    float32 and bfloat16, flip on: how much the bfloat16 path changes the accuracy of a trained model."""
    from pstmo.cameras import load_h36m_cameras, world_to_camera
    from pstmo.h36m_files import SHARED_3D, SHARED_SH_2D, load_shared_3d, load_shared_sh_2d
    from pstmo.metrics import mpjpe
    from pstmo.skeleton import mpii_to_h36m

    cameras = load_h36m_cameras(shared / "data/h36m/h36m_cameras.json")
    poses_3d = load_shared_3d(shared / "data/h36m" / SHARED_3D, ("S9", "S11"), dtype=np.float64)
    poses_2d = load_shared_sh_2d(shared / "data/h36m" / SHARED_SH_2D, ("S9", "S11"))
    lifters = {dtype: Lifter.from_checkpoint(checkpoint, device="cpu", dtype=dtype, **arch)
               for dtype in (torch.float32, torch.bfloat16)}
    predictions: dict = {dtype: [] for dtype in lifters}
    targets = []
    for subject in ("S9", "S11"):
        camera = cameras[subject][0]
        for action, world in poses_3d[subject].items():
            keypoints = poses_2d[subject][action][0][:frames_per_sequence]
            if len(keypoints) == 0:
                continue
            target = world_to_camera(world[: len(keypoints)], camera)
            targets.append(target - target[:, :1])
            track = mpii_to_h36m(keypoints)
            for dtype, lifter in lifters.items():
                predictions[dtype].append(lifter.lift(track, (camera.res_w, camera.res_h), flip=True))
    target = np.concatenate(targets)
    result = {f"mpjpe_mm_{str(d).removeprefix('torch.')}": 1000 * mpjpe(np.concatenate(p), target)
              for d, p in predictions.items()}
    result["frames"] = len(target)
    result["mean_joint_distance_bfloat16_vs_float32_mm"] = 1000 * float(np.linalg.norm(
        np.concatenate(predictions[torch.bfloat16]) - np.concatenate(predictions[torch.float32]), axis=-1).mean())
    result["checkpoint"] = str(checkpoint)
    result["mpjpe_difference_mm"] = result["mpjpe_mm_bfloat16"] - result["mpjpe_mm_float32"]
    return result


def auto_precision() -> dict:
    """What the product's default precision ('auto') resolves to on this machine's CPU: the dtype of
    `Lifter.lift` and of stream pushes, so the rows above that the product uses can be read off."""
    cpu = torch.device("cpu")
    return {path: str(resolve_dtype("auto", cpu, streaming=path == "stream")).removeprefix("torch.")
            for path in ("lift", "stream")}


def summarise(rows: list[dict]) -> dict:
    """Per model, precision and thread count (CPU; no flip, and also flip for the shipped lifters): the best
    frames/s over batch sizes, against the authors' given number (paper-sized models, 2 threads) and against
    the straightforward path measured in the same run."""
    out = {}
    for row in rows:
        if row["device"] != "cpu" or row["path"] != "lifter" or (row["flip"] and row["model"] not in SHIPPED):
            continue
        key = f"{row['model']}/{row['dtype']}/{row['threads']}_threads" + ("/flip" if row["flip"] else "")
        if key in out and out[key]["fps"] >= row["fps"]:
            continue
        straight = next(r for r in rows if r["path"] == "straightforward" and r["model"] == row["model"]
                        and r["threads"] == row["threads"])
        out[key] = {
            "batch": row["batch"],
            "fps": row["fps"],
            "fps_per_cpu_second": row["fps_per_cpu_second"],
            **({"x_reference_given_wall": row["fps"] / REFERENCE_FPS[row["model"]]}
               if row["model"] in REFERENCE_FPS else {}),
            "x_straightforward_wall": row["fps"] / straight["fps"],
            "x_straightforward_cpu": row["fps_per_cpu_second"] / straight["fps_per_cpu_second"],
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=[*MODELS, *SHIPPED],
                        help="paper-sized models (random weights) and/or the shipped lifters default, live")
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--batch", nargs="+", type=int, default=[32, 160])
    parser.add_argument("--frames", type=int, default=0, help="frames lifted per measurement (default 320, quick 160)")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per setting (the best is kept)")
    parser.add_argument("--pushes", type=int, default=20, help="stream pushes timed for the latency")
    parser.add_argument("--quick", action="store_true", help="fewer frames and repeats")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here (atomically)")
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="a trained Stage II checkpoint: also compare float32 and bfloat16 MPJPE on H36M S9/S11")
    parser.add_argument("--arch", nargs="*", default=[], metavar="KEY=INT",
                        help="for an authors' .pth: frames=243 layers=4 channel=256 (tds=1)")
    parser.add_argument("--h36m-frames", type=int, default=600, help="frames per H36M sequence in the MPJPE check")
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    args = parser.parse_args()
    if args.quick:
        args.repeats = 1
    rows: list[dict] = []
    checks: dict = {}
    load_before = uptime()
    started = time.perf_counter()
    for name in args.models:
        bench_model(name, args, rows, checks)
    if args.checkpoint:
        arch = {key: int(value) for key, value in (item.split("=", 1) for item in args.arch)}
        torch.set_num_threads(args.threads[0])
        checks["h36m_precision"] = h36m_precision(args.checkpoint, arch, args.shared, args.h36m_frames)
    result = {
        "benchmark": "lifter_speed",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
        "uptime_before": load_before,
        "uptime_after": uptime(),
        "seconds": round(time.perf_counter() - started, 1),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "reference_given": {"fps_2_threads_batch_160_no_flip": REFERENCE_FPS, "latency_ms": REFERENCE_LATENCY_MS},
        "auto_precision_here": auto_precision(),
        "summary": summarise(rows),
        "checks": checks,
        "rows": rows,
    }
    emit(result, args.out, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
