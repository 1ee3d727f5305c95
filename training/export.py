"""Copy a trained checkpoint for shipping: optionally float16 weights, extra metadata (licence, data, accuracy).
Given several checkpoints of one model (e.g. the last epochs of a run, or a run and its continuation), it
writes their uniform weight average instead (stochastic weight averaging / a "model soup").

    .venv/bin/python -m training.export runs/default_cpu/finetune/best.json assets/models/default --dtype float16
    .venv/bin/python -m training.export runs/a/finetune/best.json runs/b/finetune/best.json averaged
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import torch

from pstmo.checkpoint import LoadedCheckpoint, load_checkpoint, save_checkpoint
from pstmo.errors import InputError

H36M_LICENCE = (
    "Trained on Human3.6M (Ionescu et al., TPAMI 2014), whose licence allows research use only; "
    "these weights inherit that restriction: no commercial use."
)


def averaged_checkpoint(sources: list[str | Path]) -> LoadedCheckpoint:
    """The uniform average of the weights of `sources` (same stage and model settings), with the first's
    metadata plus `averaged_from` (the sources' paths). Floating-point tensors are averaged in float32; any
    others (counters) are the first's."""
    loaded = [load_checkpoint(source) for source in sources]
    first = loaded[0]
    if len(loaded) == 1:
        return first
    for source, other in zip(sources[1:], loaded[1:], strict=True):
        if other.stage != first.stage or other.config.to_dict() != first.config.to_dict():
            raise InputError(f"{source}: cannot average with {sources[0]}: a different model "
                             f"(stage {other.stage} {other.config.to_dict()} vs stage {first.stage} "
                             f"{first.config.to_dict()})")
    states = [checkpoint.model.state_dict() for checkpoint in loaded]
    averaged = {}
    for name, tensor in states[0].items():
        if tensor.is_floating_point():
            averaged[name] = (torch.stack([state[name].float() for state in states]).mean(0)).to(tensor.dtype)
        else:
            averaged[name] = tensor
    first.model.load_state_dict(averaged)
    first.metadata = {**first.metadata, "averaged_from": [str(source) for source in sources]}
    return first


def export_checkpoint(source: str | Path | list[str | Path], target: str | Path, *, dtype: str = "float32",
                      metadata: dict[str, Any] | None = None) -> Path:
    """Write `target`.safetensors + `target`.json from checkpoint `source` (several: their weight average,
    `averaged_checkpoint`); returns the JSON path."""
    loaded = averaged_checkpoint(source if isinstance(source, list) else [source])
    merged = {**loaded.metadata, **(metadata or {})}
    return save_checkpoint(target, loaded.model, loaded.config, stage=loaded.stage, metadata=merged, dtype=dtype)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", nargs="+", help="checkpoint to copy (.json / .safetensors); several: their "
                                                  "weight average")
    parser.add_argument("target", help="output stem (writes STEM.safetensors and STEM.json)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--h36m-licence", action="store_true", help="record the Human3.6M research-only terms")
    args = parser.parse_args(argv)
    extra = {"licence": H36M_LICENCE} if args.h36m_licence else {}
    try:
        print(export_checkpoint(args.source, args.target, dtype=args.dtype, metadata=extra))
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
