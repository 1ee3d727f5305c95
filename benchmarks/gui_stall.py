"""The GUI thread's worst stall while the app processes a video, exports, and runs live mode, as JSON.

    xvfb-run -a .venv/bin/python benchmarks/gui_stall.py VIDEO [--checkpoint FILE] [--max-frames N]

A 10 ms QTimer on the GUI thread records the time between its ticks; a stall is a tick later than 10 ms.
Measured in the real `MainWindow` with the default settings (MediaPipe, the shipped lifters), in order:
processing VIDEO from a fresh window (so the models load while it runs), exporting the result (CSV, BVH,
JSON, NPZ), and live mode replaying VIDEO as fast as it can be processed (harsher than a camera). Each
phase reports the worst gap, the 99th percentile and how many gaps exceeded 100 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.report import emit, machine_info  # noqa: E402


class Probe:
    """Ticks every `interval_ms` on the GUI thread; `gaps` holds the intervals of the current phase (ms)."""

    def __init__(self, interval_ms: int = 10) -> None:
        from PyQt5 import QtCore

        self.timer = QtCore.QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)
        self.last = time.perf_counter()
        self.gaps: list[float] = []
        self.timer.start()

    def tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(1000 * (now - self.last))
        self.last = now

    def phase(self) -> dict:
        import numpy as np

        gaps = np.array(self.gaps or [0.0])
        self.gaps = []
        return {"worst_ms": round(float(gaps.max()), 1), "p99_ms": round(float(np.percentile(gaps, 99)), 1),
                "over_100ms": int((gaps > 100).sum()), "ticks": int(len(gaps))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--max-frames", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--phases", default="process,export,live")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    phases = args.phases.split(",")

    os.environ.setdefault("PSTMO_SETTINGS_FILE", str(Path(tempfile.mkdtemp()) / "settings.ini"))

    from PyQt5 import QtWidgets

    from app.main_window import MainWindow
    from app.skeleton_view import configure_opengl
    from pipeline.settings import PipelineSettings

    configure_opengl()
    app = QtWidgets.QApplication([sys.argv[0]])
    window = MainWindow(settings=PipelineSettings(checkpoint=args.checkpoint, max_frames=args.max_frames))
    window.resize(1280, 800)
    window.show()
    for _ in range(20):
        app.processEvents()
        time.sleep(0.01)
    probe = Probe()
    report: dict = {"benchmark": "gui_stall", "video": str(args.video), "machine": machine_info()}

    def wait(condition, phase: str) -> None:
        deadline = time.perf_counter() + args.timeout
        while not condition():
            app.processEvents()
            time.sleep(0.002)
            if time.perf_counter() > deadline:
                raise SystemExit(f"{phase}: gave up after {args.timeout:.0f} s")

    done = {"processed": None, "live": None}
    window.processing_finished.connect(lambda ok: done.__setitem__("processed", ok))
    window.live_finished.connect(lambda frames: done.__setitem__("live", frames))

    if "process" in phases or "export" in phases:
        t0 = time.perf_counter()
        window.open_video(str(args.video))
        wait(lambda: done["processed"] is not None, "process")
        report["process"] = {**probe.phase(), "seconds": round(time.perf_counter() - t0, 2),
                             "ok": done["processed"]}
    if "export" in phases:
        with tempfile.TemporaryDirectory() as folder:
            t0 = time.perf_counter()
            worker = window.export(folder)
            wait(lambda: worker is None or worker.isFinished(), "export")
            report["export"] = {**probe.phase(), "seconds": round(time.perf_counter() - t0, 2)}
    if "live" in phases:
        from pipeline.sources import open_source

        probe.phase()
        t0 = time.perf_counter()
        window.start_live(open_source(str(args.video)))
        wait(lambda: done["live"] is not None, "live")
        report["live"] = {**probe.phase(), "seconds": round(time.perf_counter() - t0, 2), "frames": done["live"]}
    report["worst_ms"] = max(report[k]["worst_ms"] for k in ("process", "export", "live") if k in report)
    window.close()
    emit(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
