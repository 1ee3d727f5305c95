"""Pick the dataset a config names and return its training / validation clips as `PoseSequence`s."""

from __future__ import annotations

from pathlib import Path

from pstmo.errors import InputError
from training.config import TrainConfig
from training.sequences import PoseSequence

DATASETS = ("h36m", "3dhp", "bvh", "tracks")


def load_split(config: TrainConfig, split: str, input_2d: str | None = None) -> list[PoseSequence]:
    """Clips of `split` ('train' or 'test') of the configured dataset; `input_2d` overrides `config.input`
    (H36M: which 2D the clips carry)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    name = config.dataset
    if name == "h36m":
        from training.data_h36m import load_h36m

        subjects = config.train_subjects if split == "train" else config.test_subjects
        if input_2d is None:
            input_2d = "gt" if (split == "train" and config.input == "gt+noise") else config.input
        if input_2d == "mix":
            raise InputError("input: mix is a mixture; name the 2D input to load (gt, sh, ...)")
        return load_h36m(
            config.data_dir,
            subjects,
            input_2d=input_2d,
            noise_px=config.noise_px,
            seed=config.seed + (0 if split == "train" else 1),
            cameras_path=config.cameras,
            actions=config.actions,
            max_sequences=config.max_sequences if split == "train" else (config.val_max_sequences
                                                                         or config.max_sequences),
            cameras=config.train_cameras if split == "train" else None,
        )
    if name == "3dhp":
        from training.data_3dhp import load_3dhp

        return load_3dhp(config.data_dir, split, max_sequences=config.max_sequences)
    if name == "bvh":
        from training.data_bvh import load_bvh_folder

        sequences = load_bvh_folder(config.data_dir, fps=config.bvh_fps, views=config.bvh_views, seed=config.seed)
        return _split_bvh(sequences, split, config.data_dir)
    if name == "tracks":
        from training.data_tracks import load_tracks

        if split == "test":
            raise InputError(f"{config.data_dir}: unlabelled 2D tracks have no 3D, so they serve Stage I only")
        return load_tracks(config.data_dir)
    raise InputError(f"unknown dataset '{name}'; use one of {', '.join(DATASETS)}")


def _split_bvh(sequences: list[PoseSequence], split: str, folder: str | Path) -> list[PoseSequence]:
    """Hold out the last clip (all its views) for validation when there is more than one clip."""
    clips = sorted({s.subject for s in sequences})
    if len(clips) < 2:
        return sequences
    held_out = clips[-1]
    chosen = [s for s in sequences if (s.subject == held_out) == (split == "test")]
    if not chosen:
        raise InputError(f"{folder}: no BVH clips for the {split} split")
    return chosen
