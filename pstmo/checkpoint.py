"""Checkpoints: our format (safetensors weights + JSON config) and import of the authors' `.pth` files.

Our format is two files with the same stem: `<stem>.safetensors` (the model's state dict) and `<stem>.json`
(format version, stage, `ModelConfig`, input joint layout, free metadata such as training data, metrics and
licence). Both are written atomically; the JSON is written last, so a complete JSON means complete weights.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from pstmo.atomic import write_atomically
from pstmo.config import ModelConfig
from pstmo.device import DTYPE_NAMES, resolve_device
from pstmo.errors import InputError
from pstmo.model import PSTMO, PSTMOPretrain

FORMAT_NAME = "pstmo-checkpoint"
FORMAT_VERSION = 1
JOINT_LAYOUT = "h36m17"
OFFICIAL_SUFFIXES = (".pth", ".pt", ".bin", ".tar")

_DTYPES = {name: getattr(torch, name) for name in DTYPE_NAMES}

MAX_HEADER_BYTES = 64 << 20
"""Largest checkpoint JSON read (ours are a few kilobytes, metadata and training history included)."""

ARCHITECTURE_BOUNDS: dict[str, tuple[int, int]] = {
    "frames": (1, 2187),
    "layers": (1, 16),
    "channel": (8, 1024),
    "d_hid": (8, 8192),
    "tds": (1, 64),
    "num_joints": (17, 17),
}
"""Sane ranges of the integer model settings a checkpoint may ask for (the paper's largest model: 243 frames,
4 layers, width 256); a checkpoint outside them is refused before any memory is allocated for it."""


@dataclass
class LoadedCheckpoint:
    """A model ready for use (eval mode) with the settings and metadata it was saved with."""

    model: nn.Module
    config: ModelConfig
    stage: int
    metadata: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


# ---------------------------------------------------------------------------------------------------------
# the authors' checkpoints


_UNUSED_OFFICIAL = re.compile(r"^(Transformer|Transformer_reduce|Transformer_dec)\.model\.norm\.(a_2|b_2)$")
"""Final LayerNorms the reference creates but never applies."""

_BN_PARAMS = {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}
_LN_PARAMS = {"a_2": "weight", "b_2": "bias"}


def _squeeze_kernel(tensor: Tensor) -> Tensor:
    """Conv1d kernel-1 weight (out, in, 1) -> Linear weight (out, in)."""
    return tensor[..., 0] if tensor.dim() == 3 else tensor


def _conv3_to_linear(tensor: Tensor) -> Tensor:
    """Conv1d kernel-3 weight (out, in, 3) -> Linear weight (out, 3 * in), tap-major."""
    if tensor.dim() != 3:
        return tensor
    return tensor.permute(0, 2, 1).reshape(tensor.shape[0], -1)


def _identity(tensor: Tensor) -> Tensor:
    return tensor


def _map_transformer_layer(rest: str, prefix: str) -> tuple[str, Callable[[Tensor], Tensor], int] | None:
    """`layers.i.<...>` of one of the reference's transformer stacks -> our name, converter, qkv part (-1)."""
    match = re.fullmatch(r"layers\.(\d+)\.(.+)", rest)
    if not match:
        return None
    index, tail = match.groups()
    base = f"{prefix}{index}."
    if m := re.fullmatch(r"self_attn\.linears\.([0-3])\.(weight|bias)", tail):
        part, param = int(m.group(1)), m.group(2)
        if part == 3:
            return base + f"attn.out.{param}", _identity, -1
        return base + f"attn.qkv.{param}", _identity, part
    if m := re.fullmatch(r"feed_forward\.w_([12])\.(weight|bias)", tail):
        which, param = m.groups()
        convert = _conv3_to_linear if which == "2" else _squeeze_kernel
        return base + f"ffn.fc{which}.{param}", convert, -1
    if m := re.fullmatch(r"sublayer\.([01])\.norm\.(a_2|b_2)", tail):
        norm = "norm_attn" if m.group(1) == "0" else "norm_ffn"
        return base + f"{norm}.{_LN_PARAMS[m.group(2)]}", _identity, -1
    return None


_SEM_NAMES = {
    "fc_1": "sem.fc_in",
    "bn_1": "sem.bn_in",
    "fc_2": "sem.fc_out",
    "layers.0.w1": "sem.block.fc1",
    "layers.0.batch_norm1": "sem.block.bn1",
    "layers.0.w2": "sem.block.fc2",
    "layers.0.batch_norm2": "sem.block.bn2",
}
_HEAD_NAMES = {"fcn": "head_center", "fcn_1": "head_all", "fcn_dec": "head"}
_PLAIN_NAMES = {
    "spatial_mask_token": "spatial_mask_token",
    "mask_token": "mask_token",
    "dec_pos_embedding": "dec_pos_embedding",
    "encoder_to_decoder.weight": "encoder_to_decoder.weight",
    "encoder_LN.a_2": "encoder_norm.weight",
    "encoder_LN.b_2": "encoder_norm.bias",
    "Transformer.pos_embedding": "tem.pos_embedding",
}


def _map_official_key(key: str) -> tuple[str, Callable[[Tensor], Tensor], int] | None:
    """One reference key (without `module.`) -> (our key, converter, qkv part or -1); None if unknown."""
    if key in _PLAIN_NAMES:
        return _PLAIN_NAMES[key], _identity, -1
    if key.startswith("encoder."):
        module, _, param = key[len("encoder.") :].rpartition(".")
        if module in _SEM_NAMES:
            return f"{_SEM_NAMES[module]}.{param}", _squeeze_kernel, -1
        return None
    if m := re.fullmatch(r"(fcn|fcn_1|fcn_dec)\.([01])\.(\w+)", key):
        head, index, param = m.groups()
        sub = "bn" if index == "0" else "fc"
        return f"{_HEAD_NAMES[head]}.{sub}.{param}", _squeeze_kernel, -1
    if m := re.fullmatch(r"Transformer_reduce\.model\.pos_embedding_([123])", key):
        return f"mofa.pos_embeddings.{int(m.group(1)) - 1}", _identity, -1
    stacks = {
        "Transformer.model.": "tem.layers.",
        "Transformer_reduce.model.": "mofa.layers.",
        "Transformer_dec.model.": "decoder.",
    }
    for official, ours in stacks.items():
        if key.startswith(official):
            return _map_transformer_layer(key[len(official) :], ours)
    return None


def official_stage(keys: list[str]) -> int:
    """1 for the authors' pre-training model (`Model_MAE`), 2 for the lifter (`Model`), 0 if neither."""
    names = {k.removeprefix("module.") for k in keys}
    if any(k.startswith("Transformer_dec.") for k in names) or "mask_token" in names:
        return 1
    if any(k.startswith("Transformer_reduce.") for k in names):
        return 2
    return 0


def convert_official_state_dict(official: dict[str, Tensor], model: nn.Module, source: str) -> dict[str, Tensor]:
    """The reference's state dict (with or without `module.`) -> our state dict for `model`.

    Skips the never-applied final LayerNorms and MOFA positional embeddings beyond the model's layers;
    raises InputError naming any unknown, missing or wrongly shaped key.
    """
    expected = model.state_dict()
    converted: dict[str, Tensor] = {}
    qkv_parts: dict[str, dict[int, Tensor]] = {}
    unknown = []
    for raw_key, tensor in official.items():
        key = raw_key.removeprefix("module.")
        if _UNUSED_OFFICIAL.match(key):
            continue
        mapped = _map_official_key(key)
        if mapped is None:
            unknown.append(raw_key)
            continue
        name, convert, part = mapped
        if name.startswith("mofa.pos_embeddings.") and name not in expected:
            continue  # the reference creates three MOFA embeddings even when MOFA has fewer layers
        if name not in expected:
            unknown.append(raw_key)
            continue
        if part >= 0:
            qkv_parts.setdefault(name, {})[part] = tensor
        else:
            converted[name] = convert(tensor)
    for name, parts in qkv_parts.items():
        if sorted(parts) != [0, 1, 2]:
            raise InputError(f"{source}: attention projections incomplete for {name}")
        converted[name] = torch.cat([parts[0], parts[1], parts[2]], dim=0)
    if unknown:
        raise InputError(f"{source}: unknown keys for this P-STMO model: {', '.join(sorted(unknown)[:8])}")
    _check_keys_and_shapes(converted, expected, source)
    return converted


def _check_keys_and_shapes(state: dict[str, Tensor], expected: dict[str, Tensor], source: str) -> None:
    missing = sorted(set(expected) - set(state))
    unknown = sorted(set(state) - set(expected))
    if missing:
        raise InputError(f"{source}: missing keys: {', '.join(missing[:8])}" + (" ..." if len(missing) > 8 else ""))
    if unknown:
        raise InputError(f"{source}: unknown keys: {', '.join(unknown[:8])}" + (" ..." if len(unknown) > 8 else ""))
    wrong = [
        f"{name} {tuple(state[name].shape)} (model expects {tuple(tensor.shape)})"
        for name, tensor in expected.items()
        if state[name].shape != tensor.shape
    ]
    if wrong:
        raise InputError(f"{source}: wrong shapes (check frames/layers/channel): {'; '.join(wrong[:4])}")


def check_finite(state: dict[str, Tensor], source: str) -> None:
    """InputError naming `source` and the first tensors holding NaN or infinite values."""
    bad = [name for name, tensor in state.items()
           if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())]
    if bad:
        listed = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
        raise InputError(f"{source}: weights hold NaN or infinite values ({listed}); the checkpoint is damaged "
                         "or its training diverged, so it is refused")


def check_architecture(config: Any, source: str) -> None:
    """InputError naming `source` unless `config` (a checkpoint's model settings) is a dict of sane values."""
    if not isinstance(config, dict):
        raise InputError(f"{source}: 'config' must be an object of model settings")
    for name, (low, high) in ARCHITECTURE_BOUNDS.items():
        if name not in config:
            continue
        value = config[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise InputError(f"{source}: config.{name} must be a whole number from {low} to {high}, got {value!r}")
    strides = config.get("stride_num", [])
    if not isinstance(strides, list) or len(strides) > 8 or not all(
            isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 2187 for n in strides):
        raise InputError(f"{source}: config.stride_num must be a list of at most 8 whole numbers, got {strides!r}")
    if not isinstance(config.get("causal", False), bool):
        raise InputError(f"{source}: config.causal must be true or false, got {config['causal']!r}")


def official_architecture(state: dict[str, Tensor]) -> dict[str, int]:
    """frames, layers (TEM depth) and channel of an authors' state dict, read from its key shapes."""
    names = {k.removeprefix("module."): v for k, v in state.items()}
    pos = names.get("Transformer.pos_embedding")
    layer_ids = {int(m.group(1)) for k in names if (m := re.match(r"Transformer\.model\.layers\.(\d+)\.", k))}
    if pos is None or pos.dim() != 3 or not layer_ids:
        return {}
    return {"frames": int(pos.shape[1]), "layers": max(layer_ids) + 1, "channel": int(pos.shape[2])}


def _one_line(exc: BaseException, limit: int = 160) -> str:
    """`Type: first line of the message`, shortened: library errors can span many lines."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0] if lines else ''}".strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _torch_load(path: Path) -> dict[str, Tensor]:
    if not path.is_file():
        raise InputError(f"{path}: checkpoint file not found")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # protocol notes on foreign pickles; the error says it
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, not a pickle, disallowed globals ...
        raise InputError(f"{path}: not a readable PyTorch checkpoint ({_one_line(exc)})") from None
    for wrapper in ("model", "model_pos", "state_dict"):  # training scripts sometimes wrap the state dict
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
            break
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise InputError(f"{path}: not a state dict of tensors")
    check_finite(state, str(path))
    return state


def import_official(
    path: str | os.PathLike[str],
    *,
    frames: int,
    layers: int,
    channel: int = 256,
    tds: int = 1,
    causal: bool = False,
) -> nn.Module:
    """Load a state dict saved by the authors' code (`Model` or `Model_MAE`, `module.` keys or not).

    The stage comes from the keys; returns `PSTMO` (Stage II) or `PSTMOPretrain` (Stage I) in eval mode
    with config `ModelConfig(frames, layers, channel, d_hid=2 * channel, tds, causal)` on the CPU.
    """
    path = Path(path)
    official = _torch_load(path)
    stage = official_stage(list(official))
    if stage == 0:
        raise InputError(f"{path}: not a P-STMO checkpoint (no MOFA or decoder keys)")
    found = official_architecture(official)
    asked = {"frames": frames, "layers": layers, "channel": channel}
    if found and found != asked:
        held = ", ".join(f"{k}={v}" for k, v in found.items())
        raise InputError(f"{path}: holds a model with {held}, not {', '.join(f'{k}={v}' for k, v in asked.items())}")
    try:
        config = ModelConfig(frames=frames, layers=layers, channel=channel, d_hid=2 * channel, tds=tds, causal=causal)
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None
    model: nn.Module = PSTMO(config) if stage == 2 else PSTMOPretrain(config)
    model.load_state_dict(convert_official_state_dict(official, model, str(path)))
    return model.eval()


# ---------------------------------------------------------------------------------------------------------
# our format


def _stem(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    return path.with_suffix("") if path.suffix in (".safetensors", ".json") else path


def _atomic_write(target: Path, data: bytes) -> None:
    write_atomically(target, lambda stream: stream.write(data), binary=True, create_folder=True)


def _model_stage(model: nn.Module) -> int:
    if isinstance(model, PSTMO):
        return 2
    if isinstance(model, PSTMOPretrain):
        return 1
    raise TypeError(f"not a P-STMO model: {type(model).__name__}")


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    config: ModelConfig,
    *,
    stage: int,
    metadata: dict[str, Any] | None = None,
    dtype: str | torch.dtype = "float32",
) -> Path:
    """Write `<stem>.safetensors` (weights; floats as float32, or float16/bfloat16 via `dtype`) and
    `<stem>.json` (format version, stage, config, joint layout, metadata), both atomically.

    `path` may end in `.safetensors`, `.json` or have no suffix. Returns the JSON path.
    """
    from safetensors.torch import save

    if stage not in (1, 2):
        raise ValueError(f"stage must be 1 or 2, got {stage}")
    if _model_stage(model) != stage:
        raise ValueError(f"stage {stage} does not match the model ({type(model).__name__})")
    model_config = getattr(model, "config", None)
    if isinstance(model_config, ModelConfig):
        shape_fields = ("frames", "layers", "channel", "d_hid", "stride_num", "num_joints")
        differing = [f for f in shape_fields if getattr(model_config, f) != getattr(config, f)]
        if differing:
            raise ValueError(f"config differs from the model's in {', '.join(differing)}")
    dtype_name = dtype if isinstance(dtype, str) else str(dtype).removeprefix("torch.")
    if dtype_name not in _DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_DTYPES)}, got {dtype!r}")
    target_dtype = _DTYPES[dtype_name]
    tensors = {
        name: (t.detach().to("cpu", target_dtype) if t.is_floating_point() else t.detach().cpu()).contiguous()
        for name, t in model.state_dict().items()
    }
    stem = _stem(path)
    weights_path = stem.with_name(stem.name + ".safetensors")
    json_path = stem.with_name(stem.name + ".json")
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "stage": stage,
        "architecture": "P-STMO",
        "config": config.to_dict(),
        "input_joint_layout": JOINT_LAYOUT,
        "weights": weights_path.name,
        "dtype": dtype_name,
        "metadata": dict(metadata or {}),
    }
    _atomic_write(weights_path, save(tensors, metadata={"format": FORMAT_NAME, "stage": str(stage)}))
    _atomic_write(json_path, (json.dumps(header, indent=2, sort_keys=False) + "\n").encode())
    return json_path


def _read_header(json_path: Path) -> dict[str, Any]:
    if not json_path.is_file():
        raise InputError(f"{json_path}: checkpoint config file not found")
    try:
        size = json_path.stat().st_size
        if size > MAX_HEADER_BYTES:
            raise InputError(f"{json_path}: not a checkpoint config ({size / 2**20:.0f} MB; ours are kilobytes)")
        header = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{json_path}: corrupt checkpoint config ({_one_line(exc)})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise InputError(f"{json_path}: not a P-STMO checkpoint config (format is not {FORMAT_NAME!r})")
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InputError(f"{json_path}: unsupported checkpoint format version {version!r}")
    if header.get("stage") not in (1, 2):
        raise InputError(f"{json_path}: stage must be 1 or 2, got {header.get('stage')!r}")
    if header.get("input_joint_layout", JOINT_LAYOUT) != JOINT_LAYOUT:
        raise InputError(f"{json_path}: input joint layout {header['input_joint_layout']!r} is not {JOINT_LAYOUT!r}")
    if not isinstance(header.get("config"), dict):
        raise InputError(f"{json_path}: no model config")
    check_architecture(header["config"], str(json_path))
    if not isinstance(header.get("metadata") or {}, dict):
        raise InputError(f"{json_path}: 'metadata' must be an object")
    return header


def _weights_path(json_path: Path, header: dict[str, Any]) -> Path:
    """The weights file the header names: a plain file name in the checkpoint's own folder, never elsewhere."""
    name = header.get("weights")
    if name is None:
        name = json_path.with_suffix(".safetensors").name
    if not isinstance(name, str) or not name or name in (".", "..") or Path(name).name != name or "\\" in name:
        raise InputError(f"{json_path}: 'weights' must be a file name in the checkpoint's own folder, got {name!r}")
    weights = json_path.parent / name
    if weights.resolve().parent not in (json_path.parent.resolve(), json_path.resolve().parent):
        raise InputError(f"{json_path}: its weights {name!r} lead outside the checkpoint's folder (a link?); "
                         "refused")
    return weights


def load_checkpoint(
    path: str | os.PathLike[str],
    *,
    device: str | torch.device = "cpu",
    frames: int | None = None,
    layers: int | None = None,
    channel: int = 256,
    tds: int = 1,
    causal: bool = False,
) -> LoadedCheckpoint:
    """Load our checkpoint (the `.safetensors` or `.json` path, or the common stem) or, given `frames=` and
    `layers=`, an authors' `.pth`. The model comes back in eval mode on `device` ("cpu", "cuda", "auto").

    Raises InputError naming the file and the problem for missing files, corrupt JSON, truncated weights,
    missing or unknown keys and wrong shapes.
    """
    path = Path(path)
    target = resolve_device(device)
    if path.suffix.lower() in OFFICIAL_SUFFIXES:
        if frames is None or layers is None:
            raise InputError(f"{path}: an authors' checkpoint needs frames= and layers= (and channel=) to load")
        model = import_official(path, frames=frames, layers=layers, channel=channel, tds=tds, causal=causal)
        stage = _model_stage(model)
        metadata = {"source": "official", "file": path.name}
        return LoadedCheckpoint(model.to(target).eval(), model.config, stage, metadata, path)

    from safetensors import SafetensorError
    from safetensors.torch import load_file

    stem = _stem(path)
    json_path = stem.with_name(stem.name + ".json")
    header = _read_header(json_path)
    weights_path = _weights_path(json_path, header)
    try:
        config = ModelConfig.from_dict(header["config"])
    except (TypeError, ValueError) as exc:
        raise InputError(f"{json_path}: bad model config ({exc})") from None
    stage = int(header["stage"])
    model: nn.Module = PSTMO(config) if stage == 2 else PSTMOPretrain(config)
    if not weights_path.is_file():
        raise InputError(f"{weights_path}: checkpoint weights file not found")
    try:
        state = load_file(str(weights_path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise InputError(f"{weights_path}: truncated or corrupt weights ({_one_line(exc)})") from None
    _check_keys_and_shapes(state, model.state_dict(), str(weights_path))
    check_finite(state, str(weights_path))
    state = {name: t.float() if t.is_floating_point() else t for name, t in state.items()}
    model.load_state_dict(state)
    metadata = header.get("metadata") or {}
    return LoadedCheckpoint(model.to(target).eval(), config, stage, dict(metadata), json_path)
