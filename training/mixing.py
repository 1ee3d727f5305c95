"""Stage II batches mixed from several 2D sources at fixed shares (`input: mix`).

Sources (the `mix` setting gives each a share of every batch):
- a detector's 2D (`sh`, `cpn`, `detectron`): real detector error, H36M's four cameras;
- `gt`: the 3D projected with each real camera (with distortion), plus `training.augment.DetectorNoise`;
- `virtual`: the 3D re-projected from random cameras (`training.augment.VirtualCameras`), plus the same
  noise, so the model sees viewpoints, lenses and framings H36M's four cameras never had.

Each batch draws its windows uniformly at random within each source (with replacement), stretches them in
time at random when `speeds` says so, then flips a random half left/right.
"""

from __future__ import annotations

import torch

from pstmo.transforms import flip_some
from training.augment import DetectorNoise, VirtualCameras, add_detector_noise, virtual_camera_windows
from training.tensor_dataset import WindowDataset

PROJECTED = ("gt", "virtual")


class MixedBatches:
    """Batches of (2D (B, N, 17, 2) normalised, 3D (B, N, 17, 3) metres) mixed from `sources`.

    `detected`: {name: WindowDataset} of detector 2D; `projected`: the clips with projected ground-truth 2D
    and world-frame 3D (needed for `gt` and `virtual`). `shares`: {source: weight}, normalised to sum 1.
    `speeds`: each window takes every k-th frame for a k drawn from this list (1 = as recorded, 2 = the
    motion twice as fast, as a 50 fps clip looks at 25 fps), so the model meets the frame rates of real videos.
    """

    def __init__(
        self,
        shares: dict[str, float],
        *,
        detected: dict[str, WindowDataset] | None = None,
        projected: WindowDataset | None = None,
        noise: DetectorNoise | None = None,
        cameras: VirtualCameras | None = None,
        speeds: tuple[int, ...] = (1,),
    ) -> None:
        detected = detected or {}
        total = sum(float(v) for v in shares.values())
        if total <= 0 or any(float(v) < 0 for v in shares.values()):
            raise ValueError(f"mix shares must be >= 0 and not all 0, got {shares}")
        for name in shares:
            if name in PROJECTED:
                if projected is None:
                    raise ValueError(f"mix source '{name}' needs clips with projected 2D")
                if name == "virtual" and projected.world is None:
                    raise ValueError("mix source 'virtual' needs world-frame 3D")
            elif name not in detected:
                raise ValueError(f"mix source '{name}' has no data")
        self.shares = {name: float(v) / total for name, v in shares.items() if float(v) > 0}
        self.detected, self.projected = detected, projected
        if not speeds or any(int(v) < 1 for v in speeds):
            raise ValueError(f"speeds must be whole numbers >= 1, got {speeds}")
        self.speeds = torch.as_tensor([int(v) for v in speeds])
        self.noise = noise or DetectorNoise()
        self.cameras = cameras or VirtualCameras()
        reference = projected if projected is not None else next(iter(detected.values()))
        self.target_index = reference.target_index

    def __len__(self) -> int:
        """Distinct training targets over all sources (an 'epoch' of data)."""
        sizes = [len(d) for d in self.detected.values()]
        if self.projected is not None:
            sizes.append(len(self.projected))
        return sum(sizes)

    def counts(self, size: int) -> dict[str, int]:
        """Windows per source in a batch of `size` (largest remainders go first; sums to `size`)."""
        raw = {name: share * size for name, share in self.shares.items()}
        counts = {name: int(value) for name, value in raw.items()}
        for name in sorted(raw, key=lambda n: raw[n] - counts[n], reverse=True)[: size - sum(counts.values())]:
            counts[name] += 1
        return counts

    def _pick(self, dataset: WindowDataset, count: int, generator: torch.Generator) -> torch.Tensor:
        choice = torch.randint(len(dataset), (count,), generator=generator)
        return dataset.sample_frames[choice.to(dataset.device)]

    def sample(self, size: int, generator: torch.Generator, *, flip: bool = True
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """One batch of `size` windows."""
        xs, ys = [], []
        for name, count in self.counts(size).items():
            if count == 0:
                continue
            speed = None
            if len(self.speeds) > 1:
                speed = self.speeds[torch.randint(len(self.speeds), (count,), generator=generator)]
            if name in self.detected:
                dataset = self.detected[name]
                frames = self._pick(dataset, count, generator)
                x, y = dataset.gather(frames, speed=None if speed is None else speed.to(dataset.device))
            else:
                assert self.projected is not None
                frames = self._pick(self.projected, count, generator)
                speed = None if speed is None else speed.to(self.projected.device)
                if name == "gt":
                    x, y = self.projected.gather(frames, speed=speed)
                else:
                    world = self.projected.gather_world(frames, speed)
                    x, y = virtual_camera_windows(world, self.target_index, self.cameras, generator)
                x = add_detector_noise(x, self.noise, generator)
            xs.append(x)
            ys.append(y)
        x, y = torch.cat(xs), torch.cat(ys)
        if flip:
            mask = (torch.rand(len(x), generator=generator) < 0.5).to(x.device)
            x, y = flip_some(x, mask), flip_some(y, mask)
        return x, y
