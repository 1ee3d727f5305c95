"""Training settings: one YAML file per experiment (`configs/*.yaml`), overridable by `key=value`.

The schema is `TrainConfig` (pydantic): each setting has a type and a default, unknown keys are refused,
and an error names the file, the key and what was expected. The architecture is one block, `model:`,
read into `pstmo.config.ModelConfig` (the class inference and checkpoints use), optionally starting from
one of the paper's presets:

    model: {preset: pstmo-s, frames: 81, tds: 3}     # preset sizes, then these keys on top
    model: {frames: 9, layers: 2, channel: 32}       # no preset: ModelConfig's defaults, then these keys

Overrides use dotted keys for the block: `model.frames=81 epochs=5`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pstmo.config import ModelConfig, preset
from pstmo.errors import InputError

INPUTS = Literal["gt", "gt+noise", "sh", "cpn", "detectron", "mix"]


def resolve_model(block: Any) -> ModelConfig:
    """The `model:` block (a mapping, optionally with `preset`) -> ModelConfig."""
    if isinstance(block, ModelConfig):
        return block
    if not isinstance(block, dict):
        raise ValueError("expected a mapping like {preset: pstmo-s, frames: 27}")
    values = dict(block)
    name = values.pop("preset", None)
    if "channel" in values and "d_hid" not in values:
        values["d_hid"] = 2 * int(values["channel"])
    base: dict[str, Any] = {}
    if name is not None:
        base = preset(str(name), int(values.get("frames", 243)), tds=int(values.get("tds", 1)),
                      causal=bool(values.get("causal", False))).to_dict()
    return ModelConfig.from_dict({**base, **values})


class TrainConfig(BaseModel):
    """Every setting of a Stage I / Stage II run. Units: lr per step, noise in pixels, fps in Hz."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, arbitrary_types_allowed=True,
                              protected_namespaces=())

    model: ModelConfig = Field(default_factory=lambda: resolve_model({"preset": "pstmo-s", "frames": 27}))
    # data
    dataset: Literal["h36m", "3dhp", "bvh", "tracks"] = "h36m"
    data_dir: str = "../shared/data/h36m"
    cameras: str | None = None  # H36M cameras JSON; default data_dir/h36m_cameras.json
    input: INPUTS = "gt"  # mix: batches mixed from `mix` (H36M: detector 2D, gt + detector noise, virtual cameras)
    noise_px: float = Field(5.0, ge=0)
    mix: dict[str, float] = Field(default_factory=lambda: {"sh": 0.4, "gt": 0.3, "virtual": 0.3})
    noise: dict[str, float] = Field(default_factory=dict)  # training.augment.DetectorNoise fields
    virtual_cameras: dict[str, Any] = Field(default_factory=dict)  # training.augment.VirtualCameras fields
    speeds: list[int] = Field(default_factory=lambda: [1])  # mix: windows take every k-th frame, k from this list
    val_inputs: list[INPUTS] | None = None  # 2D inputs validated on; default [input] ([gt, sh] for mix)
    train_subjects: list[str] = Field(default_factory=lambda: ["S1", "S5", "S6", "S7", "S8"])
    test_subjects: list[str] = Field(default_factory=lambda: ["S9", "S11"])
    actions: list[str] | None = None
    max_sequences: int | None = Field(None, ge=1)  # first n (subject, action) pairs per split (quick runs)
    train_cameras: list[int] | None = None
    train_every: int = Field(1, ge=1)  # every k-th frame is a training target
    val_every: int = Field(64, ge=1)  # every k-th frame is a validation target
    val_max_sequences: int | None = Field(None, ge=1)
    pretrain_data: str | None = None  # Stage I only: extra unlabelled tracks folder/file (detect JSON)
    bvh_fps: float = Field(50.0, gt=0)
    bvh_views: int = Field(4, ge=1)
    # optimisation
    epochs: int = Field(80, ge=1)
    pretrain_epochs: int | None = Field(None, ge=1)
    finetune_epochs: int | None = Field(None, ge=1)
    batch_size: int = Field(160, ge=1)
    lr: float = Field(1e-3, gt=0)
    schedule: Literal["step", "cosine"] = "step"  # step: lr x lr_decay per epoch; cosine: warm-up, then cosine
    lr_decay: float = Field(0.97, gt=0)
    warmup_steps: int = Field(0, ge=0)
    min_lr_ratio: float = Field(0.01, ge=0, le=1)  # cosine ends at lr x this
    max_steps_per_epoch: int | None = Field(None, ge=1)
    lambda_all: float = Field(1.0, ge=0)  # weight of the all-frames MPJPE in Stage II
    temporal_mask_ratio: float = Field(0.8, ge=0, lt=1)
    spatial_mask_joints: int = Field(2, ge=0, le=17)
    flip_train: bool = True
    flip_test: bool = True
    pretrained: str | None = None  # Stage I checkpoint for Stage II; "auto" = <out_dir>/pretrain/best
    init: str | None = None  # Stage II checkpoint to start from (continue a campaign with a new schedule)
    # machinery
    out_dir: str = "runs/default"
    device: str = "auto"
    bf16: bool = True  # bf16 autocast on CUDA; validation at the lifter's "auto" precision (False: float32)
    cpu_bf16: bool = False  # bf16 autocast of the training step on the CPU (AVX-512 BF16)
    compile: bool = False
    threads: int | None = Field(None, ge=1)
    seed: int = 0
    tensorboard: bool = True
    log_every: int = Field(20, ge=1)

    @field_validator("model", mode="before")
    @classmethod
    def _model(cls, value: Any) -> ModelConfig:
        return resolve_model(value)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> TrainConfig:
        """Validate `data`; InputError naming `source`, the key and the problem when it does not fit."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InputError(f"{source}: {_describe(exc)}") from None

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump()
        data["model"] = self.model.to_dict()
        return data

    def learning_rate(self) -> float:
        return float(self.lr)

    def stage_epochs(self, stage: int) -> int:
        specific = self.pretrain_epochs if stage == 1 else self.finetune_epochs
        return int(specific if specific is not None else self.epochs)


def _describe(exc: ValidationError) -> str:
    """A ValidationError in words: 'unknown settings a, b' or 'setting model.frames: <problem> (got 'x')'."""
    errors = exc.errors()
    unknown = [".".join(str(p) for p in e["loc"]) for e in errors if e["type"] == "extra_forbidden"]
    if unknown:
        hint = " (model settings go in the model: block, e.g. model.frames)" if _MODEL_KEYS & set(unknown) else ""
        return f"unknown settings {', '.join(unknown)}{hint}"
    error = errors[0]
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    return f"setting {key}: {message} (got {error.get('input')!r})"


_MODEL_KEYS = {"preset", "frames", "tds", "causal", "layers", "channel", "d_hid", "stride_num"}


def parse_value(text: str) -> Any:
    """A `key=value` override's value, read as YAML ('3' -> 3, 'true' -> True, '[S1, S5]' -> list)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def apply_override(data: dict[str, Any], key: str, value: Any) -> None:
    """Set `key` (dotted for nested blocks: `model.frames`) in `data` to `value`."""
    parts = key.split(".")
    target = data
    for part in parts[:-1]:
        inner = target.get(part)
        if isinstance(inner, ModelConfig):
            inner = inner.to_dict()
        if not isinstance(inner, dict):
            inner = {}
        target[part] = inner = dict(inner)
        target = inner
    target[parts[-1]] = value


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> TrainConfig:
    """Read a YAML config and apply `key=value` overrides; relative paths stay relative to the cwd."""
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
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read ({exc})") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise InputError(f"{path}: a config must be a mapping of settings")
        data.update(loaded)
    for item in overrides or []:
        if "=" not in item:
            raise InputError(f"override '{item}' must be key=value")
        key, value = item.split("=", 1)
        apply_override(data, key.strip(), parse_value(value))
    return TrainConfig.from_dict(data, source)
