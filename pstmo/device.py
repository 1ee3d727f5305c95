"""Where and in what precision models run: the one resolver of 'auto' devices and compute dtypes.

Importing this module does not import torch (settings and argument parsers use `PRECISIONS`)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from pstmo.errors import InputError

if TYPE_CHECKING:
    import torch

DTYPE_NAMES = ("float32", "bfloat16", "float16")
"""Compute dtypes by name (torch.float32, ...)."""
PRECISIONS = ("auto", "float32", "bfloat16")
"""The lifting precisions users choose from (`--precision`, `PipelineSettings.precision`)."""


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """'auto' -> CUDA when available, else the CPU; 'cpu', 'cuda', 'cuda:1', ... as torch understands them.

    Raises InputError for a name torch does not know and for CUDA asked for where there is none.
    """
    import torch

    if isinstance(device, torch.device):
        resolved = device
    elif device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            resolved = torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise InputError(f"device '{device}': not a device name (use auto, cpu or cuda)") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device '{device}' requested but CUDA is not available")
    return resolved


@cache
def cpu_has_native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX-512 BF16 or AMX-BF16). Only there do oneDNN's
    bfloat16 matrix products beat float32 (elsewhere bfloat16 is emulated and slower)."""
    import torch

    capabilities = torch.cpu.get_capabilities()
    return bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))


def resolve_dtype(dtype: torch.dtype | str, device: torch.device, *, streaming: bool = False) -> torch.dtype:
    """Compute dtype: float32, bfloat16 or float16; 'auto' -> bfloat16 (float16 without bf16) on CUDA,
    bfloat16 on a CPU with native bfloat16 (`cpu_has_native_bfloat16`), else float32.

    `streaming`: for one window at a time (stream pushes), where 'auto' on the CPU is float32: casting costs
    more than bfloat16 saves there (N = 81 default, flip, one thread: 5.3-5.7 ms a push in bfloat16, 4.5 ms in
    float32; `benchmarks/results/lifter_speed_shipped.json`). Batched lifting in bfloat16 moves the shipped
    default's MPJPE by 0.002 mm (`lifter_precision_default_n81.json`) and runs 1.3-1.5x faster on one thread."""
    import torch

    dtypes = {name: getattr(torch, name) for name in DTYPE_NAMES}
    if isinstance(dtype, str):
        if dtype == "auto":
            if device.type == "cuda":
                return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            return torch.bfloat16 if cpu_has_native_bfloat16() and not streaming else torch.float32
        if dtype not in dtypes:
            raise ValueError(f"unknown dtype {dtype!r}; use 'auto', 'float32', 'bfloat16' or 'float16'")
        dtype = dtypes[dtype]
    if dtype not in dtypes.values():
        raise ValueError(f"unsupported dtype {dtype}; use float32, bfloat16 or float16")
    return dtype
