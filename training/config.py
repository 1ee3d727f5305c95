"""Training settings: one flat YAML file per experiment (`configs/*.yaml`), overridable by `key=value`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from pstmo.config import ModelConfig, preset
from pstmo.errors import InputError


@dataclass
class TrainConfig:
    """Every setting of a Stage I / Stage II run. Units: lr per step, noise in pixels, fps in Hz."""

    # model (either a preset or explicit sizes; explicit keys override the preset's)
    preset: str | None = "pstmo-s"
    frames: int = 27
    tds: int = 1
    causal: bool = False
    layers: int | None = None
    channel: int | None = None
    d_hid: int | None = None
    stride_num: list[int] | None = None
    # data
    dataset: str = "h36m"  # h36m | 3dhp | bvh | tracks
    data_dir: str = "../shared/data/h36m"
    cameras: str | None = None  # H36M cameras JSON; default data_dir/h36m_cameras.json
    input: str = "gt"  # gt | gt+noise | sh | cpn | detectron
    noise_px: float = 5.0
    train_subjects: list[str] = field(default_factory=lambda: ["S1", "S5", "S6", "S7", "S8"])
    test_subjects: list[str] = field(default_factory=lambda: ["S9", "S11"])
    actions: list[str] | None = None
    max_sequences: int | None = None  # first n (subject, action) pairs per split (quick runs)
    train_cameras: list[int] | None = None
    train_every: int = 1  # every k-th frame is a training target
    val_every: int = 64  # every k-th frame is a validation target
    val_max_sequences: int | None = None
    pretrain_data: str | None = None  # Stage I only: extra unlabelled tracks folder/file (detect JSON)
    bvh_fps: float = 50.0
    bvh_views: int = 4
    # optimisation
    epochs: int = 80
    pretrain_epochs: int | None = None
    finetune_epochs: int | None = None
    batch_size: int = 160
    lr: float | None = None  # default: 7e-4 for P-STMO-S, 1e-3 otherwise
    lr_decay: float = 0.97  # per epoch
    max_steps_per_epoch: int | None = None
    lambda_all: float = 1.0  # weight of the all-frames MPJPE in Stage II
    temporal_mask_ratio: float = 0.8
    spatial_mask_joints: int = 2
    flip_train: bool = True
    flip_test: bool = True
    pretrained: str | None = None  # Stage I checkpoint for Stage II; "auto" = <out_dir>/pretrain/best
    # machinery
    out_dir: str = "runs/default"
    device: str = "auto"
    bf16: bool = True  # autocast on CUDA only
    compile: bool = False
    threads: int | None = None
    seed: int = 0
    tensorboard: bool = True
    log_every: int = 20

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"{source}: unknown settings {', '.join(unknown)}")
        types = {f.name: str(f.type) for f in fields(cls)}
        values = {key: _coerce(key, value, types[key], source) for key, value in data.items()}
        try:
            return cls(**values)
        except TypeError as exc:
            raise InputError(f"{source}: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def model_config(self) -> ModelConfig:
        """The architecture these settings describe."""
        try:
            if self.preset:
                base = preset(self.preset, self.frames, tds=self.tds, causal=self.causal).to_dict()
            else:
                base = ModelConfig(frames=self.frames, tds=self.tds, causal=self.causal).to_dict()
            for key in ("layers", "channel", "d_hid", "stride_num"):
                value = getattr(self, key)
                if value is not None:
                    base[key] = value
            if self.channel is not None and self.d_hid is None:
                base["d_hid"] = 2 * self.channel
            return ModelConfig.from_dict(base)
        except ValueError as exc:
            raise InputError(f"model settings: {exc}") from exc

    def learning_rate(self) -> float:
        if self.lr is not None:
            return float(self.lr)
        return 7e-4 if (self.preset or "").lower() == "pstmo-s" else 1e-3

    def stage_epochs(self, stage: int) -> int:
        specific = self.pretrain_epochs if stage == 1 else self.finetune_epochs
        return int(specific if specific is not None else self.epochs)


def _coerce(key: str, value: Any, type_name: str, source: str) -> Any:
    """Check a setting against its declared type; numbers given as text ('1e-4': YAML 1.1 reads a string) convert."""
    if value is None:
        if "None" not in type_name:
            raise InputError(f"{source}: setting {key} cannot be empty")
        return None
    base = type_name.split("|")[0].strip()
    try:
        if base == "bool":
            if not isinstance(value, bool):
                raise ValueError("expected true or false")
            return value
        if base == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError("expected a whole number")
            return int(value)
        if base == "float":
            if isinstance(value, bool):
                raise ValueError("expected a number")
            return float(value)
        if base == "str":
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ValueError("expected text")
            return str(value)
        if base.startswith("list"):
            if not isinstance(value, list):
                raise ValueError("expected a list like [a, b]")
            return value
    except (TypeError, ValueError) as exc:
        raise InputError(f"{source}: setting {key}={value!r}: {exc}") from exc
    return value


def parse_value(text: str) -> Any:
    """A `key=value` override's value, read as YAML ('3' -> 3, 'true' -> True, '[S1, S5]' -> list)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> TrainConfig:
    """Read a flat YAML config and apply `key=value` overrides; relative paths stay relative to the cwd."""
    data: dict[str, Any] = {}
    source = str(path) if path else "defaults"
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path}: config file not found")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, RecursionError) as exc:  # RecursionError: nesting thousands of levels deep
            raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise InputError(f"{path}: a config must be a mapping of settings")
        data.update(loaded)
    for item in overrides or []:
        if "=" not in item:
            raise InputError(f"override '{item}' must be key=value")
        key, value = item.split("=", 1)
        data[key.strip()] = parse_value(value)
    return TrainConfig.from_dict(data, source)
