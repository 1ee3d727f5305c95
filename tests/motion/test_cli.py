"""`python main.py export`: converts a result file, and bad input ends in a one-line error."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

import main
from motion import Motion, save_result


def test_export_command_writes_each_format_from_a_result_file(tmp_path, generated_positions):
    save_result(tmp_path / "result.npz", Motion(generated_positions(frames=12), fps=30.0, frame="camera",
                                                root_relative=False))
    for fmt in ("bvh", "csv", "json", "npz"):
        out = tmp_path / f"out.{fmt}"
        assert main.main(["export", str(tmp_path / "result.npz"), "--out", str(out), "--up", "z"]) == 0
        assert out.stat().st_size > 0
    assert (tmp_path / "out.bvh").read_text().startswith("HIERARCHY")


def test_export_command_reports_a_bad_input_file_in_one_line(tmp_path, repo_root):
    bad = tmp_path / "broken.json"
    bad.write_text("{")
    result = subprocess.run([sys.executable, "main.py", "export", str(bad), "--out", str(tmp_path / "x.bvh")],
                            cwd=repo_root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "broken.json" in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "x.bvh").exists()


def test_export_command_smooths_when_asked(tmp_path, generated_positions):
    clean = generated_positions(frames=300)
    noisy = clean + np.random.default_rng(0).normal(0, 0.01, clean.shape)
    save_result(tmp_path / "result.json", Motion(noisy, fps=30.0, frame="world_y_up", root_relative=False))
    assert main.main(["export", str(tmp_path / "result.json"), "--out", str(tmp_path / "s.npz"),
                      "--smoothing", "savgol", "--smoothing-param", "window_s=0.4"]) == 0
    from motion import load_result

    smoothed, _ = load_result(tmp_path / "s.npz")
    assert np.abs(smoothed.joints - clean).mean() < 0.7 * np.abs(noisy - clean).mean()
    assert smoothed.metadata["smoothing"]["window_s"] == 0.4
