"""P-STMO (Shan et al., ECCV 2022): the one model definition for training, inference and checkpoint import.

Shapes: 2D input (B, F, 17, 2), coordinates normalised to [-1, 1] by image width; 3D output in metres,
root-relative, camera frame. F is `config.frames` (N in the paper).

- `PSTMO` (Stage II lifter): SEM (per frame) -> TEM (transformer over the F frames) -> multi-frame head
  (B, F, 17, 3); TEM features -> MOFA (strided transformer, F tokens -> 1) -> single-frame head (B, 1, 17, 3).
- `PSTMOPretrain` (Stage I, masked pose modelling): masked joints replaced by a learnable padding joint,
  SEM, TEM on the visible frames only, projection to the decoder width, learnable padding tokens on the
  masked frames, decoder transformer, 2D head for all frames.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from pstmo.config import ModelConfig
from pstmo.cpu_kernels import dense
from pstmo.layers import AuthorLayerNorm, PoseHead, SpatialEncoder, TransformerLayer
from pstmo.masking import random_masks

__all__ = [
    "PSTMO",
    "PSTMOPretrain",
    "TemporalEncoder",
    "StridedEncoder",
    "count_parameters",
    "random_masks",
    "transfer_encoder",
]

MOFA_POSITIONAL_LAYERS = 3
"""MOFA adds a learnable positional embedding before each of its first three layers."""

EVAL_CHUNK = 32
"""In eval mode `PSTMO` runs large batches this many windows at a time: same numbers, but the intermediate
tensors stay in cache (on CPU a batch of 160 windows at once is about half as fast per window)."""

DECODER_SHRINK = 2
"""The Stage I decoder runs at half the encoder's width (channel // 2, d_hid // 2)."""


class TemporalEncoder(nn.Module):
    """TEM: learnable positional embedding (1, F, C) added once, then `depth` pre-norm transformer layers."""

    def __init__(self, depth: int, channel: int, hidden: int, frames: int) -> None:
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.randn(1, frames, channel))
        self.layers = nn.ModuleList(TransformerLayer(channel, hidden) for _ in range(depth))

    def forward(self, x: Tensor, visible: Tensor | None = None) -> Tensor:
        """(B, F, C) -> (B, F, C); with `visible` ((F,) bool) only those frames go through the layers,
        after the positional embedding is added, giving (B, visible.sum(), C) in time order."""
        x = x + self.pos_embedding
        if visible is not None:
            x = x[:, visible]
        for layer in self.layers:
            x = layer(x)
        return x


class StridedEncoder(nn.Module):
    """MOFA: one strided transformer layer per stride; (B, F, C) -> (B, 1, C) when the strides multiply to F.

    Positional embeddings (1, F, C), cut to the current length, are added before the first three layers.
    """

    def __init__(self, strides: tuple[int, ...], channel: int, hidden: int, frames: int) -> None:
        super().__init__()
        self.pos_embeddings = nn.ParameterList(
            nn.Parameter(torch.randn(1, frames, channel)) for _ in range(min(MOFA_POSITIONAL_LAYERS, len(strides)))
        )
        self.layers = nn.ModuleList(TransformerLayer(channel, hidden, stride=s) for s in strides)

    def forward(self, x: Tensor) -> Tensor:
        for index, layer in enumerate(self.layers):
            if index < len(self.pos_embeddings):
                x = x + self.pos_embeddings[index][:, : x.shape[1]]
            x = layer(x)
        return x


class PSTMO(nn.Module):
    """Stage II lifter. `forward(x)`: x (B, F, 17, 2) -> (center (B, 1, 17, 3), all_frames (B, F, 17, 3))."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        joints = config.num_joints
        self.sem = SpatialEncoder(2 * joints, config.d_hid, config.channel)
        self.tem = TemporalEncoder(config.layers, config.channel, config.d_hid, config.frames)
        self.mofa = StridedEncoder(config.stride_num, config.channel, config.d_hid, config.frames)
        self.head_center = PoseHead(config.channel, 3 * joints)
        self.head_all = PoseHead(config.channel, 3 * joints)
        self.eval_chunk = EVAL_CHUNK

    def embed(self, x: Tensor) -> Tensor:
        """SEM per frame: (..., 17, 2) -> (..., C), e.g. (B, F, 17, 2) -> (B, F, C) or (T, 17, 2) -> (T, C).

        In eval mode frames are independent, so features of overlapping windows may be computed once and
        shared (gather them into (B, F, C) windows for `forward_embedded`)."""
        if x.dim() < 2 or x.shape[-2:] != (self.config.num_joints, 2):
            raise ValueError(f"expected input (..., {self.config.num_joints}, 2), got {tuple(x.shape)}")
        rows = x.reshape(-1, 2 * self.config.num_joints)
        rows_per_chunk = self.eval_chunk * self.config.frames
        if self.training or rows.shape[0] <= rows_per_chunk:
            features = self.sem(rows)
        else:
            features = torch.cat([self.sem(part) for part in rows.split(rows_per_chunk)])
        return features.view(*x.shape[:-2], features.shape[-1])

    def forward_embedded(self, features: Tensor) -> tuple[Tensor, Tensor]:
        """TEM + heads + MOFA on SEM features (B, F, C) -> (center (B, 1, 17, 3), all_frames (B, F, 17, 3))."""
        self._check_features(features)
        if self.training or features.shape[0] <= self.eval_chunk:
            return self._temporal(features)
        parts = [self._temporal(part) for part in features.split(self.eval_chunk)]
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])

    def forward_center(self, features: Tensor) -> Tensor:
        """Only the MOFA (centre-frame) estimate: SEM features (B, F, C) -> (B, 1, 17, 3); skips the
        multi-frame head, for inference."""
        self._check_features(features)
        parts = [features] if self.training else features.split(self.eval_chunk)
        centers = [self._center(self.tem(part)) for part in parts]
        return centers[0] if len(centers) == 1 else torch.cat(centers)

    def _check_features(self, features: Tensor) -> None:
        if features.dim() != 3 or features.shape[1:] != (self.config.frames, self.config.channel):
            raise ValueError(
                f"expected features (B, {self.config.frames}, {self.config.channel}), got {tuple(features.shape)}"
            )

    def _center(self, tem: Tensor) -> Tensor:
        return self.head_center(self.mofa(tem)).unflatten(-1, (self.config.num_joints, 3))

    def _temporal(self, features: Tensor) -> tuple[Tensor, Tensor]:
        tem = self.tem(features)
        all_frames = self.head_all(tem).unflatten(-1, (self.config.num_joints, 3))
        return self._center(tem), all_frames

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if x.dim() != 4 or x.shape[1:] != (self.config.frames, self.config.num_joints, 2):
            raise ValueError(
                f"expected input (B, {self.config.frames}, {self.config.num_joints}, 2), got {tuple(x.shape)}"
            )
        if self.training or x.shape[0] <= self.eval_chunk:
            return self.forward_embedded(self.embed(x))
        parts = [self.forward_embedded(self.embed(part)) for part in x.split(self.eval_chunk)]
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


class PSTMOPretrain(nn.Module):
    """Stage I (masked pose modelling).

    `forward(x, temporal_mask, spatial_mask)`: x (B, F, 17, 2), temporal_mask (F,) bool (True = masked
    frame, shared by the batch), spatial_mask (F, 17) bool (True = masked joint) -> reconstruction
    (B, F, 17, 2) in time order. The encoder sees only visible frames; masked frames get the learnable
    padding token; decoder positions come from its own learnable embedding.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        joints = config.num_joints
        dec_channel = config.channel // DECODER_SHRINK
        dec_hidden = config.d_hid // DECODER_SHRINK
        self.spatial_mask_token = nn.Parameter(torch.randn(1, 1, 2))
        self.sem = SpatialEncoder(2 * joints, config.d_hid, config.channel)
        self.tem = TemporalEncoder(config.layers, config.channel, config.d_hid, config.frames)
        self.encoder_norm = AuthorLayerNorm(config.channel)
        self.encoder_to_decoder = nn.Linear(config.channel, dec_channel, bias=False)
        self.mask_token = nn.Parameter(torch.randn(1, 1, dec_channel))
        self.dec_pos_embedding = nn.Parameter(torch.randn(1, config.frames, dec_channel))
        self.decoder = nn.ModuleList(
            TransformerLayer(dec_channel, dec_hidden) for _ in range(max(config.layers - 1, 0))
        )
        self.head = PoseHead(dec_channel, 2 * joints)

    def forward(self, x: Tensor, temporal_mask: Tensor, spatial_mask: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1:] != (self.config.frames, self.config.num_joints, 2):
            raise ValueError(
                f"expected input (B, {self.config.frames}, {self.config.num_joints}, 2), got {tuple(x.shape)}"
            )
        batch, frames, joints, _ = x.shape
        temporal_mask = temporal_mask.to(device=x.device, dtype=torch.bool)
        spatial_mask = spatial_mask.to(device=x.device, dtype=torch.bool)
        if temporal_mask.shape != (frames,) or spatial_mask.shape != (frames, joints):
            raise ValueError(
                f"masks must be ({frames},) and ({frames}, {joints}), got {tuple(temporal_mask.shape)} "
                f"and {tuple(spatial_mask.shape)}"
            )
        x = torch.where(spatial_mask[..., None], self.spatial_mask_token.to(x.dtype), x)
        features = self.sem(x.reshape(batch, frames, -1))
        visible = self.tem(features, visible=~temporal_mask)
        visible = dense(self.encoder_norm(visible), self.encoder_to_decoder.weight, None)

        tokens = self.mask_token.to(visible.dtype).expand(batch, frames, -1).clone()
        tokens[:, ~temporal_mask] = visible
        tokens = tokens + self.dec_pos_embedding
        for layer in self.decoder:
            tokens = layer(tokens)
        return self.head(tokens).unflatten(-1, (joints, 2))


def transfer_encoder(pretrained: PSTMOPretrain, model: PSTMO) -> list[str]:
    """Copy the Stage I SEM and TEM weights (and batch-norm statistics) into a Stage II model.

    Returns the names (in `model.state_dict()`) of the copied tensors.
    """
    if pretrained.config.channel != model.config.channel or pretrained.config.d_hid != model.config.d_hid:
        raise ValueError("Stage I and Stage II models differ in channel / d_hid; cannot transfer")
    if pretrained.config.layers != model.config.layers or pretrained.config.frames != model.config.frames:
        raise ValueError("Stage I and Stage II models differ in TEM depth or frames; cannot transfer")
    source = pretrained.state_dict()
    target = model.state_dict()
    copied = []
    with torch.no_grad():
        for name, tensor in target.items():
            if name.startswith(("sem.", "tem.")):
                tensor.copy_(source[name])
                copied.append(name)
    return copied


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameter values (positional embeddings and padding tokens included)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
