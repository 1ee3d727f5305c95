"""Pose transforms shared by training and inference, numpy and torch variants side by side.

- Normalisation: pixels <-> normalised screen coordinates (x in [-1, 1], y scaled by the same 2 / width).
- Flip: mirror an H36M-17 pose left/right (x negated in normalised or root-relative coordinates, left and
  right joints swapped). Flip test-time augmentation and flip training augmentation both use it.
- Windows: which frames make up the window that estimates frame t. A window has N = `frames` slots taken
  every s = `tds` frames, centred on t (`t + (i - (N - 1) // 2) * s`) or, for a causal model, ending at t
  (`t - (N - 1 - i) * s`), i = 0..N-1. Frames outside the clip repeat its first / last frame (edge
  padding, as the authors' reference pads with `np.pad(..., 'edge')`).

`pstmo.Lifter` (inference), the training sampler and evaluation all call these functions; nothing else
defines a flip, a window or a normalisation.
"""

from __future__ import annotations

import numpy as np
import torch

from pstmo.skeleton import H36M_FLIP_PERMUTATION, NUM_JOINTS

# ------------------------------------------------------------------------------------------ normalisation


def normalize_screen_coordinates(X: np.ndarray, w: float, h: float) -> np.ndarray:
    """Pixels `(..., 2)` -> normalised screen coordinates: x in [-1, 1], y scaled by the same `2 / w`."""
    X = np.asarray(X)
    if X.ndim < 1 or X.shape[-1] != 2:
        raise ValueError(f"pixel coordinates must have shape (..., 2); got {X.shape}")
    dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64
    return (X / w * 2 - np.array([1.0, h / w])).astype(dtype, copy=False)


def image_coordinates(X: np.ndarray, w: float, h: float) -> np.ndarray:
    """Normalised screen coordinates `(..., 2)` -> pixels `(..., 2)`; inverse of `normalize_screen_coordinates`."""
    X = np.asarray(X)
    if X.ndim < 1 or X.shape[-1] != 2:
        raise ValueError(f"screen coordinates must have shape (..., 2); got {X.shape}")
    dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64
    return ((X + np.array([1.0, h / w])) * w / 2).astype(dtype, copy=False)


# ------------------------------------------------------------------------------------------ flip


def flip_h36m(pose: np.ndarray, *, normalised: bool = True, image_width: float | None = None) -> np.ndarray:
    """Mirror H36M-17 poses `(..., 17, C)` left/right: negate x and swap left and right joints.

    With `normalised=True` x is in normalised screen coordinates (or metres, root-relative) and flipping is
    `x -> -x`; otherwise x is in pixels and flipping is `x -> image_width - x`.
    """
    pose = np.asarray(pose)
    if pose.ndim < 2 or pose.shape[-2] != NUM_JOINTS:
        raise ValueError(f"H36M-17 keypoints must have shape (..., {NUM_JOINTS}, C); got {tuple(pose.shape)}")
    out = np.array(pose, copy=True)[..., H36M_FLIP_PERMUTATION, :]
    if normalised:
        out[..., 0] = -out[..., 0]
    else:
        if image_width is None:
            raise ValueError("flip_h36m: image_width is needed to flip pixel coordinates")
        out[..., 0] = image_width - out[..., 0]
    return out


def flip_poses(poses: torch.Tensor) -> torch.Tensor:
    """Torch twin of `flip_h36m` (normalised): `(..., 17, C)` -> mirrored, on the same device."""
    permutation = torch.as_tensor(H36M_FLIP_PERMUTATION, device=poses.device)
    flipped = poses.index_select(-2, permutation)
    return torch.cat([-flipped[..., :1], flipped[..., 1:]], dim=-1)


def flip_some(poses: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Flip the batch items where `mask` (B,) is True; `poses` is (B, ..., 17, C)."""
    shape = (-1,) + (1,) * (poses.dim() - 1)
    return torch.where(mask.view(shape), flip_poses(poses), poses)


# ------------------------------------------------------------------------------------------ windows


def window_offsets(frames: int, tds: int = 1, causal: bool = False) -> np.ndarray:
    """(N,) int64 frame offsets of a window relative to the frame it estimates, spaced by `tds`."""
    steps = np.arange(int(frames), dtype=np.int64)
    if causal:
        return (steps - (int(frames) - 1)) * int(tds)
    return (steps - (int(frames) - 1) // 2) * int(tds)


def target_position(frames: int, causal: bool = False) -> int:
    """Index inside the window of the frame being estimated: (N - 1) // 2 centred, N - 1 causal."""
    return int(frames) - 1 if causal else (int(frames) - 1) // 2


def window_indices_np(targets: np.ndarray, num_frames: int, offsets: np.ndarray) -> np.ndarray:
    """Source frame of every window slot in one clip: `targets` (B,) -> (B, N), edge-padded into
    [0, num_frames)."""
    return np.clip(np.asarray(targets)[:, None] + np.asarray(offsets)[None, :], 0, num_frames - 1)


def window_indices(
    targets: torch.Tensor, first: torch.Tensor, last: torch.Tensor, offsets: torch.Tensor
) -> torch.Tensor:
    """Torch twin of `window_indices_np` for many clips concatenated into one tensor.

    `targets` (B,) are global frame indices; `first` / `last` (B,) the global indices of the first and
    last frame of each target's clip (inclusive); slots outside are clamped to them (edge padding).
    `offsets` is (N,), or (B, N) for a window shape per target. Returns (B, N) global indices.
    """
    raw = targets[:, None] + (offsets if offsets.dim() == 2 else offsets[None, :])
    return torch.maximum(torch.minimum(raw, last[:, None]), first[:, None])
