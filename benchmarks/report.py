"""What every benchmark records beside its numbers (machine, device, date, load) and how it prints them.

Benchmarks print one JSON object on stdout; `--out FILE` (or `--save`) also writes it atomically, for the
results cited in `benchmarks/results/`.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pstmo.atomic import write_atomically  # noqa: E402


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (platform.processor() elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages: the machine is shared, so speeds are read against this."""
    return [round(value, 2) for value in os.getloadavg()]


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info() -> dict:
    """Host, CPU, cores, device (CUDA GPU name or "cpu"), library versions, UTC date, load and commit."""
    info = {
        "machine": platform.node(), "cpu": cpu_name(), "cores": os.cpu_count(), "platform": platform.platform(),
        "python": platform.python_version(), "device": "cpu",
        "date_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "load_average_1_5_15": load_average(), "git_commit": git_commit(),
    }
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["device"] = torch.cuda.get_device_name()
    return info


def emit(report: dict, out: str | os.PathLike | None = None, *, indent: int = 2) -> None:
    """Print `report` as JSON; with `out`, also write it there atomically."""
    text = json.dumps(report, indent=indent)
    print(text)
    if out:
        write_atomically(out, lambda file: file.write(text + "\n"), create_folder=True)
