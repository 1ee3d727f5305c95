"""End-to-end speed at defaults, side by side in one run, whole processes (start-up included), as JSON.

    .venv/bin/python benchmarks/pipeline_speed.py [--clips DIR] [--repeats 2] [--compare OLD_CHECKOUT]
                                                  [--checkpoint FILE] [--live-checkpoint FILE]
                                                  [--no-gui] [--out FILE]

Clips (`benchmarks/clips.py`, made from the shared BSD-3 videos into `--clips`, default a temp folder):
`one_person` (1280x720, 50 fps, 600 frames) and `crowded` (1280x720, 30 fps, 300 frames, seven people).
For each clip, alternating, `--repeats` times:
- `baseline`: decode + MediaPipe Pose alone: OpenCV reads every frame and `mediapipe.solutions.pose.Pose()`
  at its defaults processes it (one person, the graph's own tracking), in a fresh process;
- `process`: `main.py process CLIP --out DIR` at defaults (every export format);
- with `--compare DIR`: the same command in another checkout (e.g. the commit before a change).
The ratio process / baseline uses the medians. Then live replay at defaults (`main.py webcam --source CLIP`,
the file played at its frame rate as if it were a camera): frames processed per second, dropped frames and
the latency from frame arrival to 3D pose (median, 95th percentile); `--checkpoint` / `--live-checkpoint`
give `process` / live replay another lifter than the shipped one (both checkouts alike); and the GUI thread's
worst stall (`benchmarks/gui_stall.py` under Xvfb) while processing, exporting and in live mode. The machine's load
average is recorded around every measurement: other work on the machine slows every number here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.report import emit, load_average, machine_info  # noqa: E402

PYTHON = sys.executable


def baseline(video: str) -> int:
    """Decode + MediaPipe Pose alone over `video` (run in its own process by `timed_baseline`)."""
    import cv2
    from mediapipe.python.solutions import pose as mp_pose

    capture = cv2.VideoCapture(video)
    found = frames = 0
    with mp_pose.Pose() as pose:
        while True:
            ok, image = capture.read()
            if not ok:
                break
            frames += 1
            found += pose.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).pose_landmarks is not None
    print(json.dumps({"frames": frames, "found": found}))
    return 0


def _run(command: list[str], cwd: Path, timeout: float = 1800) -> tuple[float, str]:
    """Wall seconds of a whole process and its stdout (raises with its stderr when it fails)."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def _last_json(text: str) -> dict:
    start = text.rfind("\n{")
    return json.loads(text[start + 1:] if start >= 0 else text[text.index("{"):])


def timed_baseline(video: Path) -> dict:
    load = load_average()
    seconds, out = _run([PYTHON, str(REPO / "benchmarks" / "pipeline_speed.py"), "--baseline", str(video)], REPO)
    return {"seconds": round(seconds, 2), **_last_json(out), "load_before": load}


def timed_process(video: Path, checkout: Path, folder: Path, checkpoint: Path | None = None) -> dict:
    load = load_average()
    command = [PYTHON, "main.py", "process", str(video), "--out", str(folder), "--json", "--quiet"]
    seconds, out = _run(command + (["--checkpoint", str(checkpoint)] if checkpoint else []), checkout)
    summary = _last_json(out)
    return {"seconds": round(seconds, 2), "frames": summary["frames"], "people": summary["people"],
            "missing_frames": summary["missing_frames"], "id_switches": summary["id_switches"],
            "stage_seconds": {k: round(v, 2) for k, v in summary["stage_seconds"].items()}, "load_before": load}


def timed_live(video: Path, checkout: Path, max_frames: int | None = None, checkpoint: Path | None = None) -> dict:
    load = load_average()
    command = [PYTHON, "main.py", "webcam", "--source", str(video)]
    if checkpoint:
        command += ["--checkpoint", str(checkpoint)]
    if max_frames:
        command += ["--max-frames", str(max_frames)]
    seconds, out = _run(command, checkout)
    return {**_last_json(out), "wall_s": round(seconds, 2), "load_before": load}


def gui_stall(video: Path, max_frames: int, checkpoint: Path | None = None) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    command = ["xvfb-run", "-a", PYTHON, str(REPO / "benchmarks" / "gui_stall.py"), str(video), "--max-frames",
               str(max_frames)] + (["--checkpoint", str(checkpoint)] if checkpoint else [])
    load = load_average()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    report = _last_json(done.stdout)
    report.pop("machine", None)
    return {**report, "load_before": load}


def _medians(runs: list[dict]) -> float:
    return round(statistics.median(r["seconds"] for r in runs), 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help=argparse.SUPPRESS)
    parser.add_argument("--clips", type=Path, default=Path(tempfile.gettempdir()) / "pstmo_clips")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--compare", type=Path, default=None, help="another checkout to time the same way")
    parser.add_argument("--checkpoint", type=Path, default=None, help="lifter for process (default: the shipped one)")
    parser.add_argument("--live-checkpoint", type=Path, default=None,
                        help="lifter for the live replay (default: the shipped live one)")
    parser.add_argument("--no-gui", action="store_true", help="skip the GUI stall probe")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args()
    if args.baseline:
        return baseline(args.baseline)

    from benchmarks.clips import write

    clips = {name: write(name, args.clips) for name in ("one_person", "crowded")}
    checkouts = {"process": REPO} | ({"process_before": args.compare.resolve()} if args.compare else {})
    report: dict = {"benchmark": "pipeline_speed", "machine": machine_info(), "load_before": load_average(),
                    "command": " ".join(sys.argv), "clips": {k: str(v) for k, v in clips.items()},
                    "clip_recipe": "benchmarks/clips.py",
                    "checkpoints": {"process": str(args.checkpoint or "shipped"),
                                    "live": str(args.live_checkpoint or "shipped")}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, video in clips.items():
            runs: dict[str, list[dict]] = {"baseline": [], **{key: [] for key in checkouts}}
            for repeat in range(args.repeats):
                runs["baseline"].append(timed_baseline(video))
                for key, checkout in checkouts.items():
                    runs[key].append(timed_process(video, checkout, Path(tmp) / f"{name}_{key}_{repeat}",
                                                   args.checkpoint and args.checkpoint.resolve()))
            entry = {key: {"median_s": _medians(value), "runs": value} for key, value in runs.items()}
            for key in checkouts:
                entry[f"{key}_over_baseline"] = round(entry[key]["median_s"] / entry["baseline"]["median_s"], 2)
            report[name] = entry
        report["live"] = {}
        for name, video in clips.items():
            report["live"][name] = {key: timed_live(video, checkout,
                                                    checkpoint=args.live_checkpoint and args.live_checkpoint.resolve())
                                    for key, checkout in checkouts.items()}
        if not args.no_gui:
            report["gui_stall"] = gui_stall(clips["one_person"], 300, args.checkpoint and args.checkpoint.resolve())
    report["load_after"] = load_average()
    emit(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
