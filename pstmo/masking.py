"""Stage I masks: which frames the encoder never sees and which joints are replaced by the padding joint."""

from __future__ import annotations

import torch

SPATIAL_CANDIDATES = 16
"""The reference draws masked joints from joints 0..15 (`random.sample(range(0, 16), m)`), so joint 16
(right wrist) is never spatially masked; kept for faithfulness."""


def random_masks(
    frames: int,
    *,
    temporal_ratio: float = 0.8,
    spatial_joints: int = 2,
    num_joints: int = 17,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Masks for one Stage I batch, drawn as the authors' training loop draws them.

    temporal_mask: (frames,) bool, True = masked frame; exactly `int(frames * temporal_ratio)` frames at
    random positions (q_T in the paper). spatial_mask: (frames, num_joints) bool, True = masked joint;
    in every frame exactly `spatial_joints` distinct joints among the first 16 (m_S in the paper). Masks
    are drawn for every frame, as the reference does; on masked frames they have no effect because the
    encoder drops those frames.
    """
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    if not 0.0 <= temporal_ratio < 1.0:
        raise ValueError(f"temporal_ratio must be in [0, 1), got {temporal_ratio}")
    candidates = min(SPATIAL_CANDIDATES, num_joints)
    if not 0 <= spatial_joints <= candidates:
        raise ValueError(f"spatial_joints must be in [0, {candidates}], got {spatial_joints}")
    masked_frames = int(frames * temporal_ratio)
    if masked_frames >= frames:
        raise ValueError(f"temporal_ratio {temporal_ratio} masks every one of {frames} frames")

    temporal_mask = torch.zeros(frames, dtype=torch.bool)
    temporal_mask[torch.randperm(frames, generator=generator)[:masked_frames]] = True

    spatial_mask = torch.zeros(frames, num_joints, dtype=torch.bool)
    if spatial_joints:
        scores = torch.rand(frames, candidates, generator=generator)
        chosen = scores.argsort(dim=1)[:, :spatial_joints]
        spatial_mask.scatter_(1, chosen, True)
    return temporal_mask, spatial_mask
