"""Pixel error of a 2D backend on the four real Human3.6M frames, after conversion to H36M-17.

    .venv/bin/python benchmarks/detector_accuracy.py [--detector mediapipe] [--plain] [--out FILE.json]

Prints JSON: mean and per-joint error in pixels (frames are 1000 px wide) with the calibrated conversion
(default) or the plain landmark mapping (`--plain`). The frames are a test set: nothing is fitted to them
(see docs/detectors.md for where the calibration comes from).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.report import emit, machine_info  # noqa: E402
from detectors.evaluation import evaluate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", default="mediapipe")
    parser.add_argument("--plain", action="store_true", help="plain mapping instead of the calibrated one")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    result = evaluate(args.detector, args.plain)
    result["machine"] = machine_info()
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
