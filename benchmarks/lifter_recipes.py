"""Training recipes compared at equal CPU budget: accuracy per CPU-hour (the campaign's proxy runs).

    python benchmarks/lifter_recipes.py configs/campaign/p1_mix_cosine.yaml [...] [--runs runs/campaign]
        [--out benchmarks/results/lifter_recipes.json]

Each recipe is `configs/campaign/base.yaml` with the recipe file's settings on top. For each: Stage II
training in a subprocess (`main.py train finetune`), its CPU seconds counted, then
`benchmarks/lifter_accuracy.py` on the best checkpoint (H36M GT and SH 2D, CMU through virtual cameras).
Rows are appended to `--out` as they finish; a recipe already there is skipped, so the run can be resumed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.report import emit, machine_info  # noqa: E402


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def merged_config(recipe: Path) -> dict:
    base = yaml.safe_load((recipe.parent / "base.yaml").read_text()) or {}
    changes = yaml.safe_load(recipe.read_text()) or {}
    return {**base, **changes, "model": {**base.get("model", {}), **changes.get("model", {})}}


def run_recipe(recipe: Path, runs: Path, every: int) -> dict:
    name = recipe.stem
    out = runs / name
    settings = merged_config(recipe)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(settings, handle)
        config_path = handle.name
    resume = ["--resume"] if (out / "finetune" / "latest.json").is_file() else []
    cpu, wall = children_cpu_seconds(), time.time()
    subprocess.run([sys.executable, str(REPO / "main.py"), "train", "finetune", "--config", config_path,
                    "--out", str(out), "--quiet", *resume], check=True, cwd=REPO)
    cpu, wall = children_cpu_seconds() - cpu, time.time() - wall
    accuracy = subprocess.run([sys.executable, str(REPO / "benchmarks" / "lifter_accuracy.py"), "--checkpoint",
                               str(out / "finetune" / "best.json"), "--every", str(every)],
                              check=True, cwd=REPO, capture_output=True, text=True)
    scores = json.loads(accuracy.stdout)
    steps = settings["epochs"] * settings["max_steps_per_epoch"]
    return {
        "recipe": name, "settings": settings, "description": recipe.read_text().splitlines()[0].lstrip("# "),
        "train_cpu_minutes": round(cpu / 60, 1), "train_wall_minutes": round(wall / 60, 1), "steps": steps,
        "windows": steps * settings["batch_size"],
        **{key: value for key, value in scores.items() if key.startswith(("h36m_", "cmu_"))},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipes", nargs="+", type=Path)
    parser.add_argument("--runs", type=Path, default=REPO / "runs" / "campaign")
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "lifter_recipes.json")
    args = parser.parse_args()
    report = json.loads(args.out.read_text()) if args.out.is_file() else {"benchmark": "lifter_recipes", "rows": []}
    done = {row["recipe"] for row in report["rows"]}
    for recipe in args.recipes:
        if recipe.stem in done:
            continue
        report["rows"].append({**run_recipe(recipe, args.runs, args.every), **machine_info()})
        emit(report, args.out)


if __name__ == "__main__":
    main()
