"""Stage I (masked pose modelling) and Stage II (lifting) training loops.

`train(config, stage)` runs one stage: data -> `WindowDataset` on the device -> batches gathered by
index -> model -> loss -> Adam (amsgrad) with lr x `lr_decay` per epoch -> validation -> an atomic
per-epoch checkpoint. The same code runs as one process or under `torchrun` (DDP).

- Stage I loss: MPJPE between the 2D reconstruction of all frames and the (unmasked) 2D input.
- Stage II loss: MPJPE(centre frame from MOFA) + `lambda_all` * MPJPE(all frames from TEM), metres.
- Stage II inputs: one 2D source (`input`), or batches mixed from detector 2D, projected ground truth with
  detector noise and virtual cameras (`input: mix`, `training.mixing`).
- Learning rate: x `lr_decay` per epoch (`schedule: step`), or a linear warm-up over `warmup_steps` then a
  cosine decay to `lr * min_lr_ratio` at the last step (`schedule: cosine`).
- Validation: Stage I reconstruction loss with fixed masks; Stage II Protocol-1 MPJPE (mm, actions
  averaged) of every `val_every`-th test frame for each of `val_inputs`, predicted by `pstmo.Lifter` (the
  app's own inference path, flip test-time augmentation as `flip_test` says); the mean over the inputs
  picks the best epoch.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from pstmo.checkpoint import load_checkpoint, save_checkpoint
from pstmo.config import ModelConfig
from pstmo.device import resolve_device
from pstmo.errors import InputError
from pstmo.lifter import Lifter
from pstmo.model import PSTMO, PSTMOPretrain, random_masks, transfer_encoder
from training import distributed
from training.augment import DetectorNoise, VirtualCameras
from training.config import TrainConfig
from training.datasets import load_split
from training.evaluation import evaluate_h36m, target_frames
from training.losses import mpjpe_loss
from training.mixing import PROJECTED, MixedBatches
from training.run_log import ProgressCallback, RunLog
from training.run_state import load_latest, restore_optimizer, restore_rng, save_epoch, write_json_atomic
from training.sequences import PoseSequence
from training.tensor_dataset import WindowDataset
from training.warm_start import deepen, widen_window

STAGE_NAMES = {1: "pretrain", 2: "finetune"}


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


class NaNLossError(InputError):
    """The loss became NaN or infinite; the message names the epoch and step.

    An InputError (the data or settings cannot be trained on, not a bug): `main.py train` prints it as one
    `error: ...` line with exit code 1, like every other bad input (`pstmo.errors`).
    """


@dataclass
class TrainResult:
    """Outcome of one stage. status: 'finished', 'cancelled'. best_metric: val MPJPE mm (II) / loss (I)."""

    run_dir: Path
    status: str
    epochs_done: int
    best_epoch: int | None
    best_metric: float | None
    best_checkpoint: Path | None
    history: list[dict[str, Any]]


def run_dir_for(config: TrainConfig, stage: int, out: str | Path | None = None) -> Path:
    """`<out or config.out_dir>/pretrain` (Stage I) or `/finetune` (Stage II)."""
    return Path(out or config.out_dir) / STAGE_NAMES[stage]


def _pretrained_path(config: TrainConfig, out: str | Path | None) -> Path | None:
    if not config.pretrained:
        return None
    if config.pretrained == "auto":
        path = run_dir_for(config, 1, out) / "best.json"
        if not path.is_file():
            raise InputError(f"{path}: no Stage I checkpoint (run `train pretrain` first or set pretrained=null)")
        return path
    return Path(config.pretrained)


def build_model(config: TrainConfig, stage: int, out: str | Path | None = None) -> tuple[nn.Module, list[str]]:
    """A fresh Stage I / Stage II model; Stage II gets the Stage I encoder when `pretrained` is set, or all the
    weights of a Stage II checkpoint of the same sizes when `init` is set (its window may differ: a causal
    model can start from a centred one, s = 3 from s = 1, and a longer window from a shorter one through
    `training.warm_start.widen_window`; a deeper TEM from a shallower one of the same window through
    `training.warm_start.deepen`)."""
    model_config = config.model
    if stage == 1:
        return PSTMOPretrain(model_config), []
    model = PSTMO(model_config)
    if config.init:
        start = load_checkpoint(config.init)
        window_keys = ("causal", "tds", "frames", "stride_num")
        sizes = {key: value for key, value in model_config.to_dict().items() if key not in window_keys}
        theirs = {key: value for key, value in start.config.to_dict().items() if key not in window_keys}
        if start.stage == 2 and model_config.layers > start.config.layers:
            try:
                return model, deepen(start.model, model)
            except ValueError as exc:
                raise InputError(f"{config.init}: cannot start a {model_config.layers}-layer TEM from its "
                                 f"{start.config.layers} layers: {exc}") from exc
        if start.stage != 2 or sizes != theirs:
            raise InputError(f"{config.init}: init needs a Stage II checkpoint with the config's sizes "
                             f"({sizes}), this one is stage {start.stage} {theirs}")
        if start.config.frames == model_config.frames:
            model.load_state_dict(start.model.state_dict())
            return model, list(model.state_dict())
        try:
            return model, widen_window(start.model, model)
        except ValueError as exc:
            raise InputError(f"{config.init}: cannot start a {model_config.frames}-frame window from its "
                             f"{start.config.frames} frames: {exc}") from exc
    source = _pretrained_path(config, out)
    if source is None:
        return model, []
    loaded = load_checkpoint(source)
    if loaded.stage != 1:
        raise InputError(f"{source}: a Stage I (pretrain) checkpoint is needed, this one is stage {loaded.stage}")
    try:
        return model, transfer_encoder(loaded.model, model)
    except ValueError as exc:
        raise InputError(f"{source}: {exc}") from exc


def _strip_labels(sequences: list[PoseSequence]) -> list[PoseSequence]:
    return [
        PoseSequence(name=s.name, keypoints_2d=s.keypoints_2d, image_size=s.image_size, fps=s.fps, valid=None,
                     subject=s.subject, action=s.action, camera=s.camera)
        for s in sequences
    ]


def autocast_context(device: torch.device, bf16: bool, cpu_bf16: bool = False) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA when `bf16`, on the CPU when `cpu_bf16` (AVX-512 BF16); a no-op otherwise."""
    if bf16 and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if cpu_bf16 and device.type == "cpu":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def validation_inputs(config: TrainConfig) -> list[str]:
    """The 2D inputs Stage II validates on: `val_inputs`, else [gt, sh] for `input: mix`, else [input]."""
    if config.val_inputs:
        return list(config.val_inputs)
    if config.input == "mix":
        return ["gt", "sh"] if config.dataset == "h36m" else ["gt"]
    return [config.input]


def _mixed_batches(config: TrainConfig, stage: int, model_config: ModelConfig, device: torch.device
                   ) -> MixedBatches | WindowDataset:
    """`input: mix` training data: a `MixedBatches` (Stage II) or all 2D sources as one dataset (Stage I)."""
    if config.dataset != "h36m":
        raise InputError(f"input: mix needs the h36m dataset, not '{config.dataset}'")
    kwargs = dict(frames=model_config.frames, tds=model_config.tds, causal=model_config.causal, device=device,
                  every=config.train_every)
    detected_names = [name for name in config.mix if name not in PROJECTED]
    projected = None
    if any(name in PROJECTED for name in config.mix):
        projected = WindowDataset(load_split(config, "train", input_2d="gt"), **kwargs)
    detected = {name: WindowDataset(load_split(config, "train", input_2d=name), **kwargs) for name in detected_names}
    if stage == 1:
        sequences = [s for d in [*detected.values(), projected] if d is not None for s in d.sequences]
        return WindowDataset(_strip_labels(sequences), **kwargs)
    try:
        return MixedBatches(config.mix, detected=detected, projected=projected,
                            noise=DetectorNoise(**config.noise), cameras=VirtualCameras(**config.virtual_cameras),
                            speeds=tuple(config.speeds))
    except (TypeError, ValueError) as exc:
        raise InputError(f"mix / noise / virtual_cameras settings: {exc}") from exc


def load_data(config: TrainConfig, stage: int, model_config: ModelConfig, device: torch.device
              ) -> tuple[WindowDataset | MixedBatches, WindowDataset | None, dict[str, list[PoseSequence]]]:
    """Training data on `device`; Stage I validation windows; Stage II validation clips per 2D input.

    Stage I drops the 3D and may add 2D tracks.
    """
    kwargs = dict(frames=model_config.frames, tds=model_config.tds, causal=model_config.causal, device=device)
    has_test = config.dataset != "tracks"
    if stage == 2:
        if config.input == "mix":
            train: WindowDataset | MixedBatches = _mixed_batches(config, stage, model_config, device)
        else:
            train_sequences = load_split(config, "train")
            if any(s.pose_3d is None for s in train_sequences):
                raise InputError(f"{config.data_dir}: Stage II needs 3D poses; unlabelled data serves Stage I only")
            train = WindowDataset(train_sequences, every=config.train_every, **kwargs)
        val_sets = ({name: load_split(config, "test", input_2d=name) for name in validation_inputs(config)}
                    if has_test else {})
        return train, None, val_sets
    if config.input == "mix":
        train = _mixed_batches(config, stage, model_config, device)
        val_input = "gt"
    else:
        train = WindowDataset(_strip_labels(load_split(config, "train")), every=config.train_every, **kwargs)
        val_input = None
    if config.pretrain_data:
        from training.data_tracks import load_tracks

        assert isinstance(train, WindowDataset)
        train = WindowDataset(train.sequences + load_tracks(config.pretrain_data), every=config.train_every, **kwargs)
    val = None
    if has_test:
        val = WindowDataset(_strip_labels(load_split(config, "test", input_2d=val_input)), every=config.val_every,
                            **kwargs)
    return train, val, {}


class Trainer:
    """One stage of training; see the module docstring. Use `train()` unless you need the pieces."""

    def __init__(
        self,
        config: TrainConfig,
        stage: int,
        *,
        out: str | Path | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelFlag | Callable[[], bool] | None = None,
        show_tqdm: bool = False,
    ) -> None:
        if stage not in (1, 2):
            raise ValueError(f"stage must be 1 or 2, got {stage}")
        self.config, self.stage = config, stage
        self.device = resolve_device(config.device)
        if config.threads:
            torch.set_num_threads(int(config.threads))
        self.dist = distributed.setup(self.device)
        if self.device.type == "cuda" and self.dist.enabled:
            self.device = torch.device("cuda", self.dist.local_rank)
            torch.cuda.set_device(self.device)
        self.run_dir = run_dir_for(config, stage, out)
        self.out = out
        self.cancel = cancel
        self.show_tqdm = show_tqdm and self.dist.is_main
        self.log = RunLog(self.run_dir if self.dist.is_main else None, stage,
                          tensorboard=config.tensorboard, progress=progress)
        self.model_config = config.model
        torch.manual_seed(config.seed + self.dist.rank)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.model, self.transferred = build_model(config, stage, out)
        self.model.to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.learning_rate(), amsgrad=True)
        self.train_data, self.val_data, self.val_sets = load_data(config, stage, self.model_config, self.device)
        self.forward_model: nn.Module = self.model
        if self.dist.enabled:
            self.forward_model = nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None
            )
        if config.compile:
            self.forward_model = torch.compile(self.forward_model)
        self.epoch = 0
        self.step = 0
        self.history: list[dict[str, Any]] = []
        self.best_epoch: int | None = None
        self.best_metric: float | None = None

    # ------------------------------------------------------------------ bookkeeping

    @property
    def epochs(self) -> int:
        return self.config.stage_epochs(self.stage)

    def _cancelled(self) -> bool:
        if self.cancel is None:
            return False
        flag = self.cancel.is_set() if hasattr(self.cancel, "is_set") else bool(self.cancel())
        return distributed.any_flag(self.dist, flag, self.device)

    def steps_per_epoch(self) -> int:
        """Optimizer steps in one epoch: one pass over the targets, capped by `max_steps_per_epoch`."""
        c = self.config
        batch = max(1, c.batch_size // self.dist.world_size)
        steps = math.ceil(len(self.train_data) / self.dist.world_size / batch)
        if c.max_steps_per_epoch:
            steps = min(steps, int(c.max_steps_per_epoch))
        return max(1, steps)

    def lr_for_epoch(self, epoch: int) -> float:
        """Learning rate at the start of (1-based) `epoch`."""
        return self.lr_at_step((epoch - 1) * self.steps_per_epoch())

    def lr_at_step(self, step: int) -> float:
        """Learning rate of optimizer step `step` (0-based) under the configured schedule."""
        c = self.config
        base = c.learning_rate()
        if c.schedule == "step":
            return base * c.lr_decay ** (step // self.steps_per_epoch())
        if c.schedule != "cosine":
            raise InputError(f"schedule '{c.schedule}': use step or cosine")
        if step < c.warmup_steps:
            return base * (step + 1) / c.warmup_steps
        last = self.epochs * self.steps_per_epoch() - 1  # the last step reaches the floor
        progress = min(1.0, (step - c.warmup_steps) / max(1, last - c.warmup_steps))
        floor = base * c.min_lr_ratio
        return floor + (base - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    def resume(self) -> bool:
        """Load the last complete epoch of this run folder; False when there is none."""
        latest = load_latest(self.run_dir)
        if latest is None:
            return False
        folder, info, tensors = latest
        loaded = load_checkpoint(folder / "model.safetensors", device=self.device)
        if loaded.config != self.model_config:
            raise InputError(f"{folder}: checkpoint architecture differs from the config; cannot resume")
        self.model.load_state_dict(loaded.model.state_dict())
        restore_optimizer(self.optimizer, info, tensors)
        restore_rng(tensors, self.generator)
        self.epoch = int(info["epoch"])
        self.step = int(info["step"])
        self.history = list(info.get("history", []))
        self.best_epoch = info.get("best_epoch")
        self.best_metric = info.get("best_metric")
        return True

    def _metadata(self, metrics: dict[str, Any]) -> dict[str, Any]:
        c = self.config
        return {
            "training": {
                "dataset": c.dataset, "data_dir": c.data_dir, "input": c.input, "stage": self.stage,
                "epoch": self.epoch, "step": self.step, "train_subjects": c.train_subjects,
                "pretrained": c.pretrained, "seed": c.seed,
            },
            "metrics": metrics,
            "train_config": c.to_dict(),
        }

    def _save_model(self, path: Path, metrics: dict[str, Any]) -> None:
        save_checkpoint(path, self.model, self.model_config, stage=self.stage, metadata=self._metadata(metrics))

    # ------------------------------------------------------------------ steps

    def _batch(self, targets: torch.Tensor | None, index: int, batch: int
               ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Batch `index` of the epoch: (2D windows (B, N, 17, 2), 3D windows (B, N, 17, 3) or None)."""
        c = self.config
        if isinstance(self.train_data, MixedBatches):
            return self.train_data.sample(batch, self.generator, flip=c.flip_train)
        assert targets is not None
        frames = targets[index * batch : (index + 1) * batch]
        flip = None
        if c.flip_train:
            flip = (torch.rand(len(frames), generator=self.generator) < 0.5).to(self.device)
        noise = c.noise_px if (c.input == "gt+noise" and c.dataset == "h36m") else 0.0
        return self.train_data.gather(frames, flip=flip, noise_px=noise, generator=self.generator)

    def _loss(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        c = self.config
        with autocast_context(self.device, c.bf16, c.cpu_bf16):
            if self.stage == 1:
                temporal, spatial = random_masks(
                    self.model_config.frames, temporal_ratio=c.temporal_mask_ratio,
                    spatial_joints=c.spatial_mask_joints, generator=self.generator,
                )
                reconstruction = self.forward_model(x, temporal.to(self.device), spatial.to(self.device))
                return mpjpe_loss(reconstruction, x)
            assert y is not None
            centre, all_frames = self.forward_model(x)
            t = self.train_data.target_index
            return mpjpe_loss(centre, y[:, t : t + 1]) + c.lambda_all * mpjpe_loss(all_frames, y)

    def _epoch_order(self) -> torch.Tensor | None:
        """This rank's training targets for the epoch, in shuffled order (global frame indices); None when
        batches are drawn at random (`input: mix`)."""
        if isinstance(self.train_data, MixedBatches):
            return None
        order = torch.randperm(len(self.train_data), generator=self.generator)
        if self.dist.enabled:
            per_rank = len(order) // self.dist.world_size
            order = order[self.dist.rank :: self.dist.world_size][:per_rank]
        return self.train_data.sample_frames[order.to(self.device)]

    def train_epoch(self) -> dict[str, Any] | None:
        """One epoch; returns its summary, or None when cancelled mid-epoch (nothing is saved then)."""
        c = self.config
        epoch = self.epoch + 1
        lr = self.lr_for_epoch(epoch)
        self.forward_model.train()
        targets = self._epoch_order()
        batch = max(1, c.batch_size // self.dist.world_size)
        steps = self.steps_per_epoch()
        started = time.time()
        losses: list[float] = []
        bar = None
        if self.show_tqdm:
            from tqdm import tqdm

            bar = tqdm(total=steps, desc=f"stage {self.stage} epoch {epoch}/{self.epochs}", unit="batch",
                       dynamic_ncols=True)
        try:
            for index in range(steps):
                if self._cancelled():
                    return None
                lr = self.lr_at_step(self.step)
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                loss = self._loss(*self._batch(targets, index, batch))
                value = float(loss.detach())
                if distributed.any_flag(self.dist, not math.isfinite(value), self.device):
                    raise NaNLossError(
                        f"stage {self.stage}: loss is {value} at epoch {epoch}, step {self.step + 1} "
                        f"(batch {index + 1} of the epoch); training stopped, the last good checkpoint is kept"
                    )
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                self.step += 1
                losses.append(value)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{value:.4f}")
                if self.dist.is_main:
                    self.log.tick(epoch=epoch, epochs=self.epochs, batch=index + 1, batches=steps, step=self.step,
                                  loss=value)
                    if self.step % max(1, c.log_every) == 0 or index == steps - 1:
                        window = losses[-max(1, c.log_every):]
                        self.log.write("train", epoch=epoch, step=self.step, loss=float(np.mean(window)), lr=lr,
                                       samples_per_s=round(len(losses) * batch * self.dist.world_size
                                                           / max(time.time() - started, 1e-9), 1))
        finally:
            if bar is not None:
                bar.close()
        seconds = time.time() - started
        train_loss = distributed.mean_across(self.dist, float(np.mean(losses)) if losses else float("nan"), self.device)
        return {"epoch": epoch, "step": self.step, "train_loss": train_loss, "lr": lr, "seconds": round(seconds, 2),
                "samples": len(losses) * batch * self.dist.world_size}

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Stage I: reconstruction loss (metres-free units of the 2D input) with fixed masks. Stage II: MPJPE mm."""
        c = self.config
        if self.stage == 2:
            if not self.val_sets:
                return {}
            lifter = Lifter(self.model, self.model_config, device=self.device, dtype="auto" if c.bf16 else "float32")
            scores = {}
            try:
                for name, sequences in self.val_sets.items():
                    report = evaluate_h36m(lifter, sequences, every=c.val_every, flip=c.flip_test, velocity=False)
                    scores[f"mpjpe_{name}_mm".replace("+", "_")] = report["mpjpe_mm"]
            finally:
                self.model.train()
            return {"mpjpe_mm": float(np.mean(list(scores.values()))), **(scores if len(scores) > 1 else {})}
        if self.val_data is None or len(self.val_data) == 0:
            return {}
        generator = torch.Generator().manual_seed(12345)
        was_training = self.model.training
        self.model.eval()
        total, count = 0.0, 0
        frames = self.val_data.sample_frames
        for start in range(0, len(frames), c.batch_size):
            chunk = frames[start : start + c.batch_size]
            x, _ = self.val_data.gather(chunk)
            temporal, spatial = random_masks(self.model_config.frames, temporal_ratio=c.temporal_mask_ratio,
                                             spatial_joints=c.spatial_mask_joints, generator=generator)
            with autocast_context(self.device, c.bf16):
                out = self.model(x, temporal.to(self.device), spatial.to(self.device))
            total += float(mpjpe_loss(out, x)) * len(chunk)
            count += len(chunk)
        self.model.train(was_training)
        return {"loss": total / max(count, 1)}

    # ------------------------------------------------------------------ loop

    def _validation_size(self) -> int:
        """Windows (Stage I) or target frames per 2D input (Stage II) validated each epoch."""
        if self.stage == 2:
            return sum(len(target_frames(s, self.config.val_every)) for s in next(iter(self.val_sets.values()), []))
        return len(self.val_data or [])

    def _is_better(self, metric: float) -> bool:
        return math.isfinite(metric) and (self.best_metric is None or metric < self.best_metric)

    def fit(self) -> TrainResult:
        """Train the remaining epochs; write checkpoints and logs; honour cancel."""
        c = self.config
        if self.dist.is_main:
            self.log.write("start", epoch=self.epoch, step=self.step, epochs=self.epochs,
                           train_windows=len(self.train_data), val_windows=self._validation_size(),
                           batch_size=c.batch_size, world_size=self.dist.world_size, device=str(self.device),
                           run_dir=str(self.run_dir), transferred=len(self.transferred),
                           model=self.model_config.to_dict())
        status = "finished"
        try:
            while self.epoch < self.epochs:
                summary = self.train_epoch()
                if summary is None:
                    status = "cancelled"
                    break
                self.epoch = summary["epoch"]
                val = self.validate() if self.dist.is_main else {}
                metric_key = "mpjpe_mm" if self.stage == 2 else "loss"
                metric = val.get(metric_key, summary["train_loss"])
                summary.update({f"val_{k}": v for k, v in val.items()})
                self.history.append(summary)
                if self.dist.is_main:
                    if val:
                        self.log.write("val", epoch=self.epoch, step=self.step, **val)
                    improved = self._is_better(metric)
                    if improved:
                        self.best_epoch, self.best_metric = self.epoch, float(metric)
                    self._write_epoch(summary, improved)
                    self.log.write("epoch", **summary, best_epoch=self.best_epoch, best_metric=self.best_metric)
                distributed.barrier(self.dist)
        except NaNLossError as exc:
            if self.dist.is_main:
                self.log.write("done", epoch=self.epoch, step=self.step, status="nan", message=str(exc))
            self.log.close()
            raise
        except KeyboardInterrupt:
            status = "cancelled"
        best = self.run_dir / "best.json"
        result = TrainResult(self.run_dir, status, self.epoch, self.best_epoch, self.best_metric,
                             best if best.is_file() else None, self.history)
        if self.dist.is_main:
            self.log.write("done", epoch=self.epoch, step=self.step, status=status, best_epoch=self.best_epoch,
                           best_metric=self.best_metric, checkpoint=str(result.best_checkpoint or ""))
        self.log.close()
        return result

    def _write_epoch(self, summary: dict[str, Any], improved: bool) -> None:
        metrics = {k: v for k, v in summary.items() if k not in ("epoch", "step")}
        info = {"step": self.step, "history": self.history, "best_epoch": self.best_epoch,
                "best_metric": self.best_metric, "metrics": metrics, "config": self.config.to_dict()}
        save_epoch(self.run_dir, self.epoch, save_model=lambda path: self._save_model(path, metrics),
                   optimizer=self.optimizer, generator=self.generator, info=info)
        if improved:
            self._save_model(self.run_dir / "best", {**metrics, "best_epoch": self.epoch})
        write_json_atomic(self.run_dir / "summary.json", {
            "stage": self.stage, "epoch": self.epoch, "step": self.step, "best_epoch": self.best_epoch,
            "best_metric": self.best_metric, "history": self.history,
        })


def train(
    config: TrainConfig,
    stage: int,
    *,
    resume: bool = False,
    out: str | Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelFlag | Callable[[], bool] | None = None,
    show_tqdm: bool = False,
) -> TrainResult:
    """Run Stage I (`stage=1`) or Stage II (`stage=2`) as `config` says; see the module docstring.

    `resume=True` continues from the run folder's last complete epoch (same result as an uninterrupted run).
    `progress(record)` receives every log record plus 'progress' ticks; `cancel` (an Event or a callable)
    stops at the next batch without saving the partial epoch.
    """
    run_dir = run_dir_for(config, stage, out)
    if not resume and (run_dir / "latest.json").is_file():
        raise InputError(f"{run_dir}: this run folder already has checkpoints; add --resume to continue it, "
                         "or choose another out_dir / --out")
    trainer = Trainer(config, stage, out=out, progress=progress, cancel=cancel, show_tqdm=show_tqdm)
    try:
        if resume and not trainer.resume() and trainer.dist.is_main:
            print(f"no checkpoint in {trainer.run_dir}; starting from epoch 1")
        return trainer.fit()
    finally:
        distributed.teardown(trainer.dist)
