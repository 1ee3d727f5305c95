"""Architecture settings of a P-STMO lifter: one dataclass shared by training, inference and import."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

DEFAULT_STRIDES: dict[int, tuple[int, ...]] = {
    9: (3, 3),
    27: (3, 3, 3),
    81: (3, 3, 3, 3),
    243: (3, 3, 3, 3, 3),
}
"""MOFA stride list per window length N: the strides multiply to N, reducing N frames to one."""


@dataclass(frozen=True)
class ModelConfig:
    """Settings of one P-STMO model.

    frames: N, frames in a window (after temporal downsampling).
    layers: TEM depth; MOFA has `len(stride_num)` layers; the Stage I decoder has `layers - 1`.
    channel: transformer width (256 in the paper); `d_hid` the SEM / FFN hidden width (2 * channel).
    stride_num: MOFA strides; their product must equal `frames`.
    tds: temporal downsampling rate s: the window takes every s-th frame and spans `frames * s` frames.
    causal: the window ends at the frame being estimated (live use) instead of being centred on it.
    num_joints: 17 (H36M order).
    """

    frames: int = 243
    layers: int = 4
    channel: int = 256
    d_hid: int = 512
    stride_num: tuple[int, ...] = field(default=())
    tds: int = 1
    causal: bool = False
    num_joints: int = 17

    def __post_init__(self) -> None:
        if not self.stride_num:
            if self.frames not in DEFAULT_STRIDES:
                raise ValueError(
                    f"no default MOFA strides for frames={self.frames}; "
                    f"give stride_num (known: {sorted(DEFAULT_STRIDES)})"
                )
            object.__setattr__(self, "stride_num", DEFAULT_STRIDES[self.frames])
        object.__setattr__(self, "stride_num", tuple(int(s) for s in self.stride_num))
        product = 1
        for stride in self.stride_num:
            product *= stride
        if product != self.frames:
            raise ValueError(
                f"MOFA strides {self.stride_num} multiply to {product}, not frames={self.frames}"
            )
        if self.tds < 1:
            raise ValueError(f"tds must be >= 1, got {self.tds}")
        if self.channel % 8:
            raise ValueError(f"channel must be a multiple of 8 (8 attention heads), got {self.channel}")

    @property
    def receptive_field(self) -> int:
        """Frames of video one window covers: (frames - 1) * tds + 1."""
        return (self.frames - 1) * self.tds + 1

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stride_num"] = list(self.stride_num)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown model config keys: {', '.join(unknown)}")
        return cls(**data)


def preset(name: str, frames: int, *, tds: int = 1, causal: bool = False) -> ModelConfig:
    """The paper's configurations: 'pstmo-s' (TEM depth 3) or 'pstmo' (TEM depth 4), width 256."""
    layers = {"pstmo-s": 3, "pstmo": 4}.get(name.lower())
    if layers is None:
        raise ValueError(f"unknown preset {name!r}; use 'pstmo-s' or 'pstmo'")
    return ModelConfig(frames=frames, layers=layers, channel=256, d_hid=512, tds=tds, causal=causal)
