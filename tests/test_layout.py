"""The core packages import without Qt, and `main.py --help` lists every subcommand."""

from __future__ import annotations

import subprocess
import sys

CORE_IMPORT_CHECK = """
import importlib, pkgutil, sys
for package in ("pstmo", "detectors", "motion", "pipeline", "training"):
    for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
        importlib.import_module(f"{package}.{module.name}")
print(sorted(name for name in sys.modules if name.split(".")[0] in ("PyQt5", "pyqtgraph")))
"""


def test_every_core_module_imports_without_loading_qt(repo_root):
    result = subprocess.run([sys.executable, "-c", CORE_IMPORT_CHECK], cwd=repo_root, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_main_help_lists_every_subcommand(repo_root):
    result = subprocess.run([sys.executable, "main.py", "--help"], cwd=repo_root, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    for name in ("gui", "process", "detect", "export", "train", "evaluate", "webcam"):
        assert f"\n  {name} " in result.stdout
