"""Start a Stage II lifter from a trained one with a longer window (e.g. N = 9 -> N = 27 at the same s), or
with a deeper TEM (`deepen`: more transformer layers over the frames, the new ones starting as identities).

Everything that does not depend on the window length is copied as is: SEM, the TEM layers, both heads.
What does depend on it is mapped so the trained model's view of time is kept:

- The TEM positional embedding (1, N_old, C) is placed on the middle N_old tokens of the new (1, N_new, C)
  one (same temporal spacing s, so token offsets from the centre keep their meaning); the tokens outside get
  the nearest edge embedding.
- MOFA layers are aligned at the end: the old window's strided layers (N_old -> 1) become the new window's
  last layers, which now reduce the N_old tokens left by the new first layers. The new first layers (and
  the positional embedding before them) keep their fresh initialisation.

The sizes that define the weights (channel, d_hid, layers, joints) must match; `frames` may grow.

`deepen` keeps the window and every weight, and appends TEM layers whose attention output projection and
second feed-forward layer are zero: each pre-norm layer then adds nothing to its input (x + 0), so the deeper
model starts with exactly the trained model's predictions and training grows the new layers from there.
"""

from __future__ import annotations

import torch
from torch import Tensor

from pstmo.model import PSTMO

__all__ = ["centre_placed", "deepen", "widen_window"]


def centre_placed(embedding: Tensor, frames: int) -> Tensor:
    """(1, F_old, C) -> (1, frames, C): the old embedding on the middle tokens, edges repeated outwards."""
    old = embedding.shape[1]
    if frames < old or (frames - old) % 2:
        raise ValueError(f"cannot centre {old} positions in {frames}")
    pad = (frames - old) // 2
    index = torch.clamp(torch.arange(frames) - pad, 0, old - 1)
    return embedding[:, index].clone()


def widen_window(source: PSTMO, target: PSTMO) -> list[str]:
    """Copy `source`'s weights into `target` (same sizes, a window of at least as many frames).

    Returns the names (in `target.state_dict()`) of the tensors that were copied or mapped; the rest keep
    their initialisation. Raises ValueError when the sizes differ or the MOFA strides do not line up.
    """
    old, new = source.config, target.config
    for key in ("channel", "d_hid", "layers", "num_joints"):
        if getattr(old, key) != getattr(new, key):
            raise ValueError(f"{key} differs ({getattr(old, key)} vs {getattr(new, key)})")
    extra = len(new.stride_num) - len(old.stride_num)
    if extra < 0 or tuple(new.stride_num[extra:]) != tuple(old.stride_num):
        raise ValueError(f"MOFA strides {tuple(old.stride_num)} are not the tail of {tuple(new.stride_num)}")
    theirs = source.state_dict()
    ours = target.state_dict()
    mapped: dict[str, Tensor] = {}
    for name in ours:
        if name.startswith(("sem.", "tem.layers.", "head_center.", "head_all.")):
            mapped[name] = theirs[name]
    mapped["tem.pos_embedding"] = centre_placed(theirs["tem.pos_embedding"], new.frames)
    for index in range(len(old.stride_num)):
        prefix_old, prefix_new = f"mofa.layers.{index}.", f"mofa.layers.{index + extra}."
        for name, tensor in theirs.items():
            if name.startswith(prefix_old):
                mapped[prefix_new + name[len(prefix_old):]] = tensor
    old_positional = len(source.mofa.pos_embeddings)
    for index in range(old_positional):
        name = f"mofa.pos_embeddings.{index + extra}"
        if name in ours:
            length = ours[name].shape[1]
            source_embedding = theirs[f"mofa.pos_embeddings.{index}"]
            mapped[name] = ours[name].clone()
            keep = min(length, source_embedding.shape[1])
            mapped[name][:, :keep] = source_embedding[:, :keep]
    return _copied(mapped, ours)


def deepen(source: PSTMO, target: PSTMO) -> list[str]:
    """Copy `source` into `target`, which has the same window and sizes but more TEM layers; the extra layers
    (after the trained ones) become identities (zero attention output and second feed-forward weights).

    Returns the names of the tensors copied from `source` or zeroed. Raises ValueError when anything but the
    TEM depth differs or `target` is not deeper."""
    old, new = source.config, target.config
    theirs_config, ours_config = old.to_dict(), new.to_dict()
    for key in ("frames", "tds", "causal", "stride_num", "channel", "d_hid", "num_joints"):
        if theirs_config[key] != ours_config[key]:
            raise ValueError(f"{key} differs ({theirs_config[key]} vs {ours_config[key]})")
    if new.layers <= old.layers:
        raise ValueError(f"the target has {new.layers} TEM layers, not more than the source's {old.layers}")
    theirs = source.state_dict()
    ours = target.state_dict()
    mapped: dict[str, Tensor] = dict(theirs)
    for index in range(old.layers, new.layers):
        for part in ("attn.out", "ffn.fc2"):
            for kind in ("weight", "bias"):
                name = f"tem.layers.{index}.{part}.{kind}"
                mapped[name] = torch.zeros_like(ours[name])
    return _copied(mapped, ours)


def _copied(mapped: dict[str, Tensor], ours: dict[str, Tensor]) -> list[str]:
    """Copy each `mapped` tensor into the target state `ours` (its tensors share the model's storage); returns
    the copied names, sorted. ValueError when a name is missing or a shape does not fit."""
    with torch.no_grad():
        for name, tensor in mapped.items():
            if name not in ours or ours[name].shape != tensor.shape:
                fits = tuple(ours[name].shape) if name in ours else "nothing"
                raise ValueError(f"{name}: shape {tuple(tensor.shape)} does not fit {fits}")
            ours[name].copy_(tensor)
    return sorted(mapped)
