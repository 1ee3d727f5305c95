"""Where and in what precision models run: the one resolver of 'auto' devices and compute dtypes."""

from __future__ import annotations

import torch

from pstmo.errors import InputError

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """'auto' -> CUDA when available, else the CPU; 'cpu', 'cuda', 'cuda:1', ... as torch understands them.

    Raises InputError for a name torch does not know and for CUDA asked for where there is none.
    """
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


def resolve_dtype(dtype: torch.dtype | str, device: torch.device) -> torch.dtype:
    """Compute dtype: float32, bfloat16 or float16; 'auto' -> bfloat16 (float16 without bf16) on CUDA,
    float32 on the CPU."""
    if isinstance(dtype, str):
        if dtype == "auto":
            if device.type == "cuda":
                return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            return torch.float32
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; use 'auto', 'float32', 'bfloat16' or 'float16'")
        dtype = DTYPES[dtype]
    if dtype not in DTYPES.values():
        raise ValueError(f"unsupported dtype {dtype}; use float32, bfloat16 or float16")
    return dtype
