"""Window sampling for training: windows of many clips gathered at once from tensors on the device.

Which frames make up a window is defined once, in `pstmo.lifter.window_offsets` (inference uses it too):
a window of N frames with temporal downsampling s (TDS) for target frame t takes frames
`t + (i - (N - 1) // 2) * s`, i = 0..N-1 (centred) or `t - (N - 1 - i) * s` (causal: the window ends at t).
Frames outside the sequence repeat its first / last frame (edge padding, as the reference pads).

`window_indices` works on torch tensors on any device and clamps each window to its own clip, so a whole
dataset of concatenated clips held as one tensor on the GPU is gathered by index with no per-sample Python.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from pstmo.lifter import window_offsets as lifter_window_offsets
from pstmo.skeleton import H36M_FLIP_PERMUTATION


def window_offsets(frames: int, tds: int = 1, causal: bool = False) -> np.ndarray:
    """(N,) int64 frame offsets of a window relative to its target frame.

    The definition lives in `pstmo.lifter.window_offsets` (inference); training uses the same one.
    """
    settings = SimpleNamespace(frames=int(frames), tds=int(tds), causal=bool(causal))
    return np.asarray(lifter_window_offsets(settings), dtype=np.int64)  # type: ignore[arg-type]


def target_position(frames: int, causal: bool = False) -> int:
    """Index inside the window of the frame being estimated (offset 0): (N - 1) // 2 centred, N - 1 causal."""
    return int(np.flatnonzero(window_offsets(frames, 1, causal) == 0)[0])


def window_indices(
    targets: torch.Tensor, first: torch.Tensor, last: torch.Tensor, offsets: torch.Tensor
) -> torch.Tensor:
    """Global frame indices (B, N) of the windows of global target frames `targets` (B,).

    `first` / `last` (B,) are the global indices of the first and last frame of each target's sequence
    (inclusive); indices outside are clamped to them (edge padding). `offsets` (N,) from `window_offsets`.
    """
    raw = targets[:, None] + offsets[None, :]
    return torch.maximum(torch.minimum(raw, last[:, None]), first[:, None])


def flip_poses(poses: torch.Tensor) -> torch.Tensor:
    """Mirror (..., 17, C) poses in normalised / root-relative coordinates: x negated, left <-> right."""
    permutation = torch.as_tensor(H36M_FLIP_PERMUTATION, device=poses.device)
    flipped = poses.index_select(-2, permutation)
    return torch.cat([-flipped[..., :1], flipped[..., 1:]], dim=-1)


def flip_some(poses: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Flip the batch items where `mask` (B,) is True; `poses` is (B, ..., 17, C)."""
    shape = (-1,) + (1,) * (poses.dim() - 1)
    return torch.where(mask.view(shape), flip_poses(poses), poses)
