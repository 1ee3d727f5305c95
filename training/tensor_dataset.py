"""A whole dataset as tensors on the training device, and batches of windows gathered from it by index.

Windows are those of `pstmo.transforms` (the lifter's own definition); clips with missing 2D are filled by
`pstmo.gaps.fill_for_lifting`, the rule the app applies before lifting.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from pstmo.gaps import fill_for_lifting
from pstmo.transforms import flip_some, normalize_screen_coordinates, target_position, window_indices, window_offsets
from training.sequences import PoseSequence


class WindowDataset:
    """All clips concatenated: `inputs` (M, 17, 2) normalised screen coordinates, `targets` (M, 17, 3)
    metres root-relative camera frame (None when unlabelled), `world` (M, 17, 3) metres world frame z up
    (None unless every clip has it), and per-frame bookkeeping tensors.

    `sample_frames` (K,) are the global frames that are window targets (every `every`-th frame of each
    clip, valid frames only where a clip marks them).
    """

    def __init__(
        self,
        sequences: Sequence[PoseSequence],
        *,
        frames: int,
        tds: int = 1,
        causal: bool = False,
        every: int = 1,
        device: str | torch.device = "cpu",
    ) -> None:
        if not sequences:
            raise ValueError("a dataset needs at least one sequence")
        self.sequences = list(sequences)
        self.frames, self.tds, self.causal = frames, tds, causal
        self.device = torch.device(device)
        inputs, targets, world, first, last, seq_id, scale, samples = [], [], [], [], [], [], [], []
        labelled = all(s.pose_3d is not None for s in self.sequences)
        has_world = all(s.pose_world is not None for s in self.sequences)
        start = 0
        for index, seq in enumerate(self.sequences):
            n = len(seq)
            w, h = seq.image_size
            keypoints = seq.keypoints_2d
            if not np.isfinite(keypoints).all():
                keypoints, _ = fill_for_lifting(keypoints)
            inputs.append(normalize_screen_coordinates(keypoints, w, h).astype(np.float32))
            if labelled:
                targets.append(seq.pose_3d)
            if has_world:
                world.append(seq.pose_world)
            first.append(np.full(n, start))
            last.append(np.full(n, start + n - 1))
            seq_id.append(np.full(n, index))
            scale.append(np.full(n, 2.0 / w, dtype=np.float32))
            local = np.arange(0, n, max(1, every))
            if seq.valid is not None:
                local = local[seq.valid[local]]
            samples.append(local + start)
            start += n
        to = self._to
        self.inputs = to(np.concatenate(inputs))
        self.targets = to(np.concatenate(targets)) if labelled else None
        self.world = to(np.concatenate(world)) if has_world else None
        self.first = to(np.concatenate(first).astype(np.int64))
        self.last = to(np.concatenate(last).astype(np.int64))
        self.sequence_index = to(np.concatenate(seq_id).astype(np.int64))
        self.pixel_to_unit = to(np.concatenate(scale))
        self.sample_frames = to(np.concatenate(samples).astype(np.int64))
        self.offsets = to(window_offsets(frames, tds, causal))
        self.target_index = target_position(frames, causal)

    def _to(self, array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(array).to(self.device)

    @property
    def labelled(self) -> bool:
        return self.targets is not None

    def __len__(self) -> int:
        """Number of window targets."""
        return int(self.sample_frames.numel())

    def window_index(self, frames: torch.Tensor, speed: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N) global source frames of the windows of target frames `frames` (B,); `speed` (B,) ints
        stretch each window (2 = every other frame: the motion looks twice as fast, as at 25 fps)."""
        offsets = self.offsets[None, :] if speed is None else self.offsets[None, :] * speed[:, None]
        return window_indices(frames, self.first[frames], self.last[frames], offsets)

    def gather_world(self, frames: torch.Tensor, speed: torch.Tensor | None = None) -> torch.Tensor:
        """World-frame windows (B, N, 17, 3) metres of the global target frames `frames` (B,)."""
        if self.world is None:
            raise ValueError("this dataset has no world-frame poses")
        return self.world[self.window_index(frames, speed)]

    def gather(
        self,
        frames: torch.Tensor,
        *,
        flip: torch.Tensor | None = None,
        noise_px: float = 0.0,
        generator: torch.Generator | None = None,
        speed: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Windows of the global target frames `frames` (B,): inputs (B, N, 17, 2), targets (B, N, 17, 3) or None.

        `flip` (B,) bool mirrors those items; `noise_px` adds Gaussian noise of that many pixels to the 2D;
        `speed` (B,) stretches windows (`window_index`).
        """
        index = self.window_index(frames, speed)
        x = self.inputs[index]
        if noise_px > 0:
            noise = torch.randn(x.shape, generator=generator, device="cpu").to(x.device)
            x = x + noise * (noise_px * self.pixel_to_unit[frames]).view(-1, 1, 1, 1)
        y = self.targets[index] if self.targets is not None else None
        if flip is not None:
            x = flip_some(x, flip)
            if y is not None:
                y = flip_some(y, flip)
        return x, y
