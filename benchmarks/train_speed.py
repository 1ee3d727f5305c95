"""Training throughput of Stage I and Stage II (samples/s) with the project's own training loop; prints JSON.

    .venv/bin/python benchmarks/train_speed.py --preset pstmo-s --frames 27 --steps 10
    .venv/bin/python benchmarks/train_speed.py --preset pstmo --frames 243 --device cuda --compile

The dataset is synthetic (random 2D / 3D clips held on the device, as real data is): throughput does not
depend on the values. `epoch_minutes_h36m` extrapolates one Stage II epoch over all H36M training windows
(S1, S5, S6, S7, S8 x 4 cameras = 1,559,752 windows, each seen once, flipped at random).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.report import emit, machine_info  # noqa: E402
from pstmo.device import resolve_device  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.sequences import PoseSequence  # noqa: E402
from training.tensor_dataset import WindowDataset  # noqa: E402
from training.trainer import Trainer  # noqa: E402

H36M_TRAIN_WINDOWS = 1_559_752
"""Frames of S1, S5, S6, S7, S8 over 4 cameras in the standard release (VideoPose3D's count)."""


def synthetic_sequences(count: int, length: int, seed: int = 0) -> list[PoseSequence]:
    rng = np.random.default_rng(seed)
    return [
        PoseSequence(
            name=f"synthetic/{i}",
            keypoints_2d=rng.uniform(200, 800, (length, 17, 2)).astype(np.float32),
            pose_3d=rng.normal(0, 0.3, (length, 17, 3)).astype(np.float32),
            image_size=(1000, 1000),
            fps=50.0,
            subject="S1",
            action="Walking",
        )
        for i in range(count)
    ]


def measure(config: TrainConfig, stage: int, steps: int, warmup: int) -> dict:
    import training.trainer as trainer_module

    model_config = config.model
    device = resolve_device(config.device)

    def fake_load(cfg, stg, mcfg, dev):
        sequences = synthetic_sequences(8, 4000)
        if stg == 1:
            sequences = trainer_module._strip_labels(sequences)
        return WindowDataset(sequences, frames=mcfg.frames, tds=mcfg.tds, causal=mcfg.causal, device=dev), None, {}

    original = trainer_module.load_data
    trainer_module.load_data = fake_load
    try:
        with tempfile.TemporaryDirectory() as out:
            trainer = Trainer(config, stage, out=out)
            trainer.log.close()
    finally:
        trainer_module.load_data = original
    targets = trainer._epoch_order()
    batch = config.batch_size

    def run(n: int, offset: int) -> float:
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for i in range(n):
            loss = trainer._loss(*trainer._batch(targets, (offset + i) % (len(targets) // batch), batch))
            trainer.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            trainer.optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    trainer.forward_model.train()
    run(warmup, 0)
    seconds = run(steps, warmup)
    samples_per_s = steps * batch / seconds
    return {
        "stage": stage,
        "samples_per_s": round(samples_per_s, 1),
        "seconds": round(seconds, 3),
        "steps": steps,
        "batch_size": batch,
        "epoch_minutes_h36m": round(H36M_TRAIN_WINDOWS / samples_per_s / 60, 2) if stage == 2 else None,
        "model": model_config.to_dict(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="pstmo-s")
    parser.add_argument("--frames", type=int, default=27)
    parser.add_argument("--channel", type=int, default=None)
    parser.add_argument("--layers", type=int, default=None)
    parser.add_argument("--batch", type=int, default=160)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--stages", default="1,2")
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--no-bf16", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = {"preset": args.preset, "frames": args.frames}
    model.update({key: value for key, value in (("channel", args.channel), ("layers", args.layers)) if value})
    config = TrainConfig.from_dict({"model": model, "batch_size": args.batch, "device": args.device,
                                    "compile": args.compile, "bf16": not args.no_bf16, "tensorboard": False})
    results = [measure(config, int(stage), args.steps, args.warmup) for stage in args.stages.split(",")]
    device = "cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()) else "cpu"
    emit({
        "benchmark": "train_speed",
        "machine": machine_info(),
        "device": torch.cuda.get_device_name() if device == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
        "torch": torch.__version__,
        "bf16_autocast": device == "cuda" and not args.no_bf16,
        "compile": args.compile,
        "results": results,
    }, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
