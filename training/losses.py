"""Training losses on torch tensors (the numpy evaluation metrics live in `pstmo.metrics`)."""

from __future__ import annotations

import torch


def mpjpe_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean Euclidean distance per joint: (..., J, C) x2 -> scalar, input units (metres for 3D)."""
    return torch.linalg.vector_norm(predicted.float() - target.float(), dim=-1).mean()
