"""Copy a trained checkpoint for shipping: optionally float16 weights, extra metadata (licence, data, accuracy).

    .venv/bin/python -m training.export runs/default_cpu/finetune/best.json assets/models/default --dtype float16
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pstmo.checkpoint import load_checkpoint, save_checkpoint

H36M_LICENCE = (
    "Trained on Human3.6M (Ionescu et al., TPAMI 2014), whose licence allows research use only; "
    "these weights inherit that restriction: no commercial use."
)


def export_checkpoint(source: str | Path, target: str | Path, *, dtype: str = "float32",
                      metadata: dict[str, Any] | None = None) -> Path:
    """Write `target`.safetensors + `target`.json from checkpoint `source`; returns the JSON path."""
    loaded = load_checkpoint(source)
    merged = {**loaded.metadata, **(metadata or {})}
    return save_checkpoint(target, loaded.model, loaded.config, stage=loaded.stage, metadata=merged, dtype=dtype)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="checkpoint to copy (.json / .safetensors)")
    parser.add_argument("target", help="output stem (writes STEM.safetensors and STEM.json)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--h36m-licence", action="store_true", help="record the Human3.6M research-only terms")
    args = parser.parse_args(argv)
    extra = {"licence": H36M_LICENCE} if args.h36m_licence else {}
    print(export_checkpoint(args.source, args.target, dtype=args.dtype, metadata=extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
