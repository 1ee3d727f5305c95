"""Imports point one way (pstmo <- tracks <- detectors, motion <- pipeline <- app; training beside pipeline),
the core packages import without Qt, and `main.py --help` lists every subcommand."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ALLOWED_IMPORTS: dict[str, set[str]] = {
    "pstmo": set(),
    "tracks": {"pstmo"},
    "detectors": {"pstmo", "tracks"},
    "motion": {"pstmo", "tracks"},
    "pipeline": {"pstmo", "tracks", "detectors", "motion"},
    "training": {"pstmo", "tracks", "detectors", "motion"},
    "app": {"pstmo", "tracks", "detectors", "motion", "pipeline"},
}
"""Which of the project's packages each package may import (besides itself). Scripts above them all
(main.py, benchmarks/, tests/) may import any."""
QT_PACKAGES = {"PyQt5", "pyqtgraph"}
CORE = ("pstmo", "tracks", "detectors", "motion", "pipeline", "training")


REPO = Path(__file__).resolve().parents[1]


def imported_top_level_names(path: Path, package: str) -> set[str]:
    """First components of every module that `path` (a file of `package`) imports, at any depth
    (function-level imports included); a relative import counts as `package`."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(package if node.level else (node.module or "").split(".")[0])
    return names


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED_IMPORTS))
def test_each_package_imports_only_the_packages_below_it(package):
    ours = set(ALLOWED_IMPORTS)
    wrong = {}
    for path in _modules(package):
        upward = (imported_top_level_names(path, package) & ours) - ALLOWED_IMPORTS[package] - {package}
        if upward:
            wrong[str(path.relative_to(REPO))] = sorted(upward)
    assert wrong == {}, f"{package} may import only {sorted(ALLOWED_IMPORTS[package]) or 'itself'}"


@pytest.mark.parametrize("package", CORE)
def test_no_core_module_imports_qt(package):
    assert [str(path.relative_to(REPO)) for path in _modules(package)
            if imported_top_level_names(path, package) & QT_PACKAGES] == []


def test_the_import_scan_sees_relative_and_function_level_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from . import base\nimport pipeline.sources as s\n\n\ndef later():\n"
                     "    from motion.result import load_result\n")
    assert imported_top_level_names(probe, "detectors") == {"detectors", "pipeline", "motion"}


CORE_IMPORT_CHECK = """
import importlib, pkgutil, sys
for package in ("pstmo", "tracks", "detectors", "motion", "pipeline", "training"):
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
