"""Which kernels run the model's matrix products and attention: the one place that knows about backends.

`dense(x, weight, bias, activation)` is `activation(x @ weight.T + bias)`. On the CPU in float32 it goes
to oneDNN (`torch.ops.mkldnn._linear_pointwise`: matmul, bias and activation fused in one call; on AMD CPUs
MKL's float32 GEMM, which `F.linear` uses, is about half as fast), in CPU training through a small autograd
function whose backward uses oneDNN too. Everywhere else (CUDA, float16, a torch build without oneDNN) it is
`F.linear` plus the activation. Both backends give the same numbers to float32 rounding.

Choosing the backend: `with matmul_backend("aten"): ...` runs the block with `F.linear` (e.g. to compare,
or on a CPU where MKL is faster); the default is "onednn" (which falls back to `F.linear` where oneDNN
cannot run). The choice is a context variable: it holds for the `with` block in this thread only, and a
new thread starts with the default.

`attention(q, k, v, dropout_p)` is `F.scaled_dot_product_attention`, run in float32 on the CPU under
bfloat16 autocast at inference (CPU flash attention is faster in float32 than in bfloat16).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor

BACKENDS: tuple[str, ...] = ("onednn", "aten")
"""Matmul backends: "onednn" (default; oneDNN on the CPU in float32 and bfloat16) or "aten" (`F.linear`)."""
ACTIVATIONS: tuple[str, ...] = ("none", "relu", "leaky_relu")

_backend: contextvars.ContextVar[str] = contextvars.ContextVar("pstmo_matmul_backend", default="onednn")


@contextlib.contextmanager
def matmul_backend(name: str) -> Iterator[None]:
    """Run the block's `dense` calls (in this thread) on backend `name` ("onednn" or "aten")."""
    if name not in BACKENDS:
        raise ValueError(f"unknown matmul backend {name!r}; use one of {', '.join(BACKENDS)}")
    token = _backend.set(name)
    try:
        yield
    finally:
        _backend.reset(token)


def current_backend() -> str:
    """The matmul backend chosen for this thread now ("onednn" unless inside `matmul_backend`)."""
    return _backend.get()


@functools.cache
def onednn_available() -> bool:
    """Whether this torch build has a working `mkldnn::_linear_pointwise` (checked once on tiny tensors)."""
    if not (torch.backends.mkldnn.is_available() and hasattr(torch.ops, "mkldnn")):
        return False
    try:
        x, weight, bias = torch.ones(2, 3), torch.full((4, 3), 0.5), torch.ones(4)
        with torch.no_grad():
            return bool(torch.allclose(_onednn_matmul(x, weight, bias), F.linear(x, weight, bias)))
    except (RuntimeError, AttributeError, NotImplementedError):
        return False


def _onednn_matmul(x: Tensor, weight: Tensor, bias: Tensor | None, activation: str = "none", slope: float = 0.0):
    scalars = [slope] if activation == "leaky_relu" else []
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, activation, scalars, "")


class _OneDnnLinear(torch.autograd.Function):
    """`x @ weight.T + bias` with oneDNN matmuls forward and backward (float32 CPU training)."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _onednn_matmul(x, weight, bias)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        x, weight = ctx.saved_tensors
        grad_rows = grad.reshape(-1, grad.shape[-1])
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = _onednn_matmul(grad_rows, weight.t(), None).view(x.shape)
        if ctx.needs_input_grad[1]:
            grad_weight = _onednn_matmul(grad_rows.t(), x.reshape(-1, x.shape[-1]).t(), None)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_bias = grad_rows.sum(0)
        return grad_x, grad_weight, grad_bias


def _onednn_usable(x: Tensor, weight: Tensor) -> bool:
    return (
        _backend.get() == "onednn"
        and x.device.type == "cpu"
        and weight.dtype == torch.float32
        and torch.backends.mkldnn.enabled
        and onednn_available()
    )


def _cpu_autocast_bf16() -> bool:
    return torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16


def _onednn_dtype(x: Tensor, weight: Tensor) -> torch.dtype | None:
    """The dtype of a fused oneDNN matmul for these operands, or None to use `F.linear`."""
    if not (
        _onednn_usable(x, weight)
        and x.dtype in (torch.float32, torch.bfloat16)
        and not (torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad))
    ):
        return None
    if torch.is_autocast_enabled("cpu"):
        return torch.bfloat16 if _cpu_autocast_bf16() else None
    return torch.float32 if x.dtype == torch.float32 else None


def dense(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    activation: str = "none",
    slope: float = 0.0,
    *,
    float32: bool = False,
) -> Tensor:
    """`activation(x @ weight.T + bias)` for x (..., in); activation "none", "relu" or "leaky_relu" (slope).

    Without autograd on a CPU tensor this is one fused oneDNN call (float32, or bfloat16 under CPU autocast
    to bfloat16); float32 CPU training uses oneDNN forward and backward; otherwise `F.linear` + activation
    (see the module docstring for the backend choice). `float32=True` keeps this matmul in float32 under
    autocast (for the 2D input and the 3D output, where bfloat16's 8-bit mantissa would mean about
    1 px / 2 mm steps).
    """
    if float32 and torch.is_autocast_enabled(x.device.type):
        with torch.autocast(x.device.type, enabled=False):
            return dense(x.float(), weight, bias, activation, slope)
    dtype = _onednn_dtype(x, weight)
    if dtype is not None:
        if dtype != torch.float32:
            x, weight = x.to(dtype), weight.to(dtype)
            bias = None if bias is None else bias.to(dtype)
        return _onednn_matmul(x, weight, bias, activation, slope)
    if _onednn_usable(x, weight) and x.dtype == torch.float32 and not torch.is_autocast_enabled("cpu"):
        y = _OneDnnLinear.apply(x, weight, bias)  # training on the CPU: oneDNN forward and backward
    else:
        y = F.linear(x, weight, bias)
    if activation == "relu":
        return F.relu(y)
    if activation == "leaky_relu":
        return F.leaky_relu(y, slope)
    return y


def attention(q: Tensor, k: Tensor, v: Tensor, dropout_p: float = 0.0) -> Tensor:
    """`softmax(q k^T / sqrt(d)) v` over (..., tokens, d) with dropout `dropout_p`; float32 on the CPU under
    bfloat16 autocast at inference (faster there than bfloat16), else in the inputs' dtype."""
    if q.device.type == "cpu" and _cpu_autocast_bf16() and not torch.is_grad_enabled():
        with torch.autocast("cpu", enabled=False):
            return F.scaled_dot_product_attention(q.float(), k.float(), v.float(), dropout_p=dropout_p)
    return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
