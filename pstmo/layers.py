"""Building blocks of P-STMO, written for a (batch, tokens, channels) layout.

Every block computes exactly what the authors' blocks compute (see docs/model.md) but keeps tokens
last-but-one so that kernel-1 convolutions become `Linear`s and no permutes are needed. In eval mode the
batch norms are folded into the adjacent linear layer on the fly (same numbers, one kernel fewer);
in training mode they run as ordinary `BatchNorm1d` over all tokens of the batch, as in the reference.
Matrix products (`dense`) and attention (`attention`) come from `pstmo.cpu_kernels`, which picks the kernels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from pstmo.cpu_kernels import attention, dense

DROPOUT = 0.1
"""Dropout rate used everywhere in the reference (SEM, attention, feed-forward, residual branches)."""


class AuthorLayerNorm(nn.Module):
    """The reference's layer norm: `weight * (x - mean) / (std + eps) + bias`.

    `std` is the unbiased standard deviation over the last axis and `eps` (1e-6) is added to the std, not
    to the variance, so `nn.LayerNorm` would give different numbers.
    """

    def __init__(self, features: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(features))
        self.bias = nn.Parameter(torch.zeros(features))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        features = x.shape[-1]
        if not torch.is_grad_enabled() and x.dtype == torch.float32:
            # one fused pass: native_layer_norm gives weight * (x - mean) / std_biased and 1 / std_biased
            # (its std output carries no gradient, hence inference only); rescale to the unbiased std + eps
            normed, _, rstd = torch.native_layer_norm(x, (features,), self.weight, None, 1e-20)
            std_biased = rstd.reciprocal()
            scale = std_biased / (std_biased * (features / (features - 1)) ** 0.5 + self.eps)
            return torch.addcmul(self.bias, normed, scale)
        centred = x - x.mean(dim=-1, keepdim=True)
        # unbiased std as a vector norm: torch.var_mean/std are an order of magnitude slower on CPU
        std = torch.linalg.vector_norm(centred, dim=-1, keepdim=True) * (features - 1) ** -0.5
        return torch.addcmul(self.bias, centred * (std + self.eps).reciprocal(), self.weight)


def _bn_scale_shift(bn: nn.BatchNorm1d) -> tuple[Tensor, Tensor]:
    """Eval-mode batch norm as `x * scale + shift` (per channel)."""
    scale = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


def _apply_bn(x: Tensor, bn: nn.BatchNorm1d) -> Tensor:
    """Batch norm over every token of (..., C): statistics over all leading axes, as the reference's
    BatchNorm1d over (B, C, T)."""
    shape = x.shape
    return bn(x.reshape(-1, shape[-1])).reshape(shape)


def linear_bn_lrelu(
    x: Tensor, linear: nn.Linear, bn: nn.BatchNorm1d, slope: float = 0.2, *, float32: bool = False
) -> Tensor:
    """`leaky_relu(bn(linear(x)), slope)` for x (..., C_in); in eval mode one folded, fused matmul."""
    if bn.training:
        return F.leaky_relu(_apply_bn(dense(x, linear.weight, linear.bias, float32=float32), bn), slope)
    scale, shift = _bn_scale_shift(bn)
    return dense(x, linear.weight * scale[:, None], linear.bias * scale + shift, "leaky_relu", slope, float32=float32)


def bn_then_linear(x: Tensor, bn: nn.BatchNorm1d, linear: nn.Linear, *, float32: bool = False) -> Tensor:
    """`linear(bn(x))` for x (..., C_in); in eval mode one folded matmul."""
    if bn.training:
        return dense(_apply_bn(x, bn), linear.weight, linear.bias, float32=float32)
    scale, shift = _bn_scale_shift(bn)
    # elementwise product + sum, not `@`: autocast would run a matmul in bfloat16 and bias every output
    return dense(x, linear.weight * scale, linear.bias + (linear.weight * shift).sum(dim=1), float32=float32)


class ResidualLinearBlock(nn.Module):
    """SEM residual block: x + drop(lrelu(bn2(fc2(drop(lrelu(bn1(fc1(x)))))))), width kept."""

    def __init__(self, width: int, dropout: float = DROPOUT) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.bn1 = nn.BatchNorm1d(width)
        self.fc2 = nn.Linear(width, width)
        self.bn2 = nn.BatchNorm1d(width)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        y = self.dropout(linear_bn_lrelu(x, self.fc1, self.bn1))
        y = self.dropout(linear_bn_lrelu(y, self.fc2, self.bn2))
        return x + y


class SpatialEncoder(nn.Module):
    """SEM: per-frame MLP from the flattened 2D pose (17 * 2 = 34 values) to a `channel`-wide feature.

    fc_in (34 -> d_hid) + BN + LeakyReLU(0.2) + dropout, one residual block at d_hid, fc_out (-> channel).
    Runs in float32 also under autocast: it reads raw coordinates, and bfloat16 here costs the most
    accuracy (measured) for the least time (a lifter computes it once per frame).
    """

    def __init__(self, in_features: int, hidden: int, channel: int, dropout: float = DROPOUT) -> None:
        super().__init__()
        self.fc_in = nn.Linear(in_features, hidden)
        self.bn_in = nn.BatchNorm1d(hidden)
        self.block = ResidualLinearBlock(hidden, dropout)
        self.fc_out = nn.Linear(hidden, channel)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        """(..., in_features) -> (..., channel)."""
        if torch.is_autocast_enabled(x.device.type):
            with torch.autocast(x.device.type, enabled=False):
                return self.forward(x.float())
        x = self.dropout(linear_bn_lrelu(x, self.fc_in, self.bn_in))
        return dense(self.block(x), self.fc_out.weight, self.fc_out.bias)


class PoseHead(nn.Module):
    """BN + per-token linear map from features to `out_features` values (joint-major: joint * dims + dim).

    Always float32 (also under autocast): its outputs are coordinates."""

    def __init__(self, channel: int, out_features: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(channel)
        self.fc = nn.Linear(channel, out_features)

    def forward(self, x: Tensor) -> Tensor:
        return bn_then_linear(x, self.bn, self.fc, float32=True)


class SelfAttention(nn.Module):
    """Multi-head self-attention (8 heads), q/k/v projections fused into one matmul."""

    def __init__(self, channel: int, heads: int = 8, dropout: float = DROPOUT) -> None:
        super().__init__()
        if channel % heads:
            raise ValueError(f"channel {channel} is not divisible by {heads} heads")
        self.heads = heads
        self.qkv = nn.Linear(channel, 3 * channel)
        self.out = nn.Linear(channel, channel)
        self.dropout = dropout

    def forward(self, x: Tensor) -> Tensor:
        batch, tokens, channel = x.shape
        qkv = dense(x, self.qkv.weight, self.qkv.bias)
        q, k, v = qkv.view(batch, tokens, 3, self.heads, channel // self.heads).permute(2, 0, 3, 1, 4)
        attended = attention(q, k, v, dropout_p=self.dropout if self.training else 0.0)
        return dense(attended.transpose(1, 2).reshape(batch, tokens, channel), self.out.weight, self.out.bias)


class FeedForward(nn.Module):
    """Position-wise FFN: fc2(drop(relu(fc1(x)))) (ReLU, as in the reference)."""

    def __init__(self, channel: int, hidden: int, dropout: float = DROPOUT) -> None:
        super().__init__()
        self.fc1 = nn.Linear(channel, hidden)
        self.fc2 = nn.Linear(hidden, channel)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        hidden = self.dropout(dense(x, self.fc1.weight, self.fc1.bias, "relu"))
        return dense(hidden, self.fc2.weight, self.fc2.bias)


class StridedFeedForward(nn.Module):
    """MOFA FFN: fc1 per token, ReLU, then a temporal convolution (kernel 3, padding 1, stride `stride`).

    The convolution is stored as a Linear over 3 neighbouring tokens concatenated (tap-major: fc2 input
    index = tap * hidden + channel), so T tokens become ceil(T / stride) tokens, centred on tokens
    0, stride, 2 * stride, ...
    """

    KERNEL = 3

    def __init__(self, channel: int, hidden: int, stride: int, dropout: float = DROPOUT) -> None:
        super().__init__()
        self.stride = stride
        self.hidden = hidden
        self.fc1 = nn.Linear(channel, hidden)
        self.fc2 = nn.Linear(self.KERNEL * hidden, channel)
        self.dropout = nn.Dropout(dropout)

    def output_length(self, tokens: int) -> int:
        return (tokens - 1) // self.stride + 1

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, channel) -> (B, ceil(T / stride), channel)."""
        hidden = self.dropout(dense(x, self.fc1.weight, self.fc1.bias, "relu"))
        batch, tokens, width = hidden.shape
        out_tokens = self.output_length(tokens)
        if self.stride == self.KERNEL:
            # windows (3i-1, 3i, 3i+1) tile the sequence padded with one zero token in front: a pure view
            padded = F.pad(hidden, (0, 0, 1, self.KERNEL * out_tokens - tokens - 1))
            windows = padded.view(batch, out_tokens, self.KERNEL * width)
        else:
            padded = F.pad(hidden, (0, 0, 1, self.stride * out_tokens + 1 - tokens))
            taps = [padded[:, k : k + self.stride * out_tokens : self.stride] for k in range(self.KERNEL)]
            windows = torch.cat(taps, dim=-1)
        return dense(windows, self.fc2.weight, self.fc2.bias)


class TransformerLayer(nn.Module):
    """Pre-norm encoder layer: x + drop(attn(norm(x))), then x + drop(ffn(norm(x))).

    With `stride` > 1 the FFN is a `StridedFeedForward` and the residual keeps every `stride`-th token
    (tokens 0, stride, 2 * stride, ...), the reference's MaxPool1d(kernel 1, stride) shortcut.
    """

    def __init__(self, channel: int, hidden: int, stride: int | None = None, dropout: float = DROPOUT) -> None:
        super().__init__()
        self.stride = stride
        self.norm_attn = AuthorLayerNorm(channel)
        self.attn = SelfAttention(channel, dropout=dropout)
        self.norm_ffn = AuthorLayerNorm(channel)
        if stride is None:
            self.ffn: nn.Module = FeedForward(channel, hidden, dropout)
        else:
            self.ffn = StridedFeedForward(channel, hidden, stride, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, T, C), or (B, ceil(T / stride), C) for a strided layer."""
        x = x + self.dropout(self.attn(self.norm_attn(x)))
        shortcut = x if self.stride is None or self.stride == 1 else x[:, :: self.stride]
        return shortcut + self.dropout(self.ffn(self.norm_ffn(x)))
