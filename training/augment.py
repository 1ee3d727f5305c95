"""Training-time 2D input models: detector error on clean 2D, and virtual cameras around mocap.

Both work on batches of windows as torch tensors, coordinates normalised by image width
(`pstmo.transforms.normalize_screen_coordinates`), so they cost a few element-wise operations per batch.

- `add_detector_noise`: what a 2D detector does to perfect keypoints, scaled by the person's size in the
  image (the diagonal of their 2D box): per-frame jitter, a per-window bias per joint (detectors place
  hips, neck and head differently from mocap markers), rare outliers, and rare left/right swaps of a limb.
- `virtual_camera_windows`: re-project world-frame 3D from a random static camera: any azimuth, from
  below the pelvis to well above, near to far, wide-angle phone to telephoto, with roll and the person
  anywhere in the frame. Targets are the same 3D in that camera's frame, root-relative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from pstmo.skeleton import H36M_LEFT, H36M_RIGHT


@dataclass(frozen=True)
class DetectorNoise:
    """Detector error model; sizes are fractions of the person's 2D box diagonal, rates per joint and frame.

    jitter: largest sigma of independent per-frame, per-joint Gaussian noise (each window draws its own
        sigma uniformly in [0, jitter]).
    bias: largest sigma of a per-window, per-joint constant offset (drawn like jitter).
    outlier_rate / outlier_scale: probability of a joint being far off in one frame, and the sigma then.
    swap_rate: probability of one frame having the left and right joints of one limb swapped.
    """

    jitter: float = 0.02
    bias: float = 0.01
    outlier_rate: float = 0.005
    outlier_scale: float = 0.15
    swap_rate: float = 0.005


@dataclass(frozen=True)
class VirtualCameras:
    """Ranges of the random cameras (uniform unless said otherwise).

    distance_m: camera to pelvis. elevation_deg: camera above (+) or below (-) the pelvis, seen from it.
    roll_deg: rotation about the optical axis. focal: focal length / image width, log-uniform (0.6 is a
    wide phone lens, 1.15 H36M, 2.5 a telephoto). offset_x / offset_y: the pelvis lands anywhere within
    these fractions of the image width from the image centre.
    """

    distance_m: tuple[float, float] = (2.5, 9.0)
    elevation_deg: tuple[float, float] = (-15.0, 50.0)
    roll_deg: tuple[float, float] = (-10.0, 10.0)
    focal: tuple[float, float] = (0.6, 2.5)
    offset_x: float = 0.3
    offset_y: float = 0.2


_LIMBS = [(l_joint, r_joint) for l_joint, r_joint in zip(H36M_LEFT, H36M_RIGHT, strict=True)]
_LIMB_JOINTS = [_LIMBS[i : i + 3] for i in range(0, len(_LIMBS), 3)]  # leg (hip, knee, ankle), arm (3)


def _uniform(size: tuple[int, ...], low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(size, generator=generator)


def box_diagonal(x: torch.Tensor) -> torch.Tensor:
    """(B, N, 17, 2) -> (B,) mean over the window of the diagonal of each frame's 2D box."""
    extent = x.amax(dim=-2) - x.amin(dim=-2)  # (B, N, 2)
    return torch.linalg.vector_norm(extent, dim=-1).mean(dim=1)


def add_detector_noise(x: torch.Tensor, noise: DetectorNoise, generator: torch.Generator) -> torch.Tensor:
    """Clean windows (B, N, 17, 2), normalised -> the same with detector-like error (new tensor)."""
    batch, frames, joints, _ = x.shape
    device = x.device
    scale = box_diagonal(x).cpu()[:, None, None, None]  # (B, 1, 1, 1)
    jitter = _uniform((batch, 1, 1, 1), 0.0, noise.jitter, generator) * scale
    bias = _uniform((batch, 1, 1, 1), 0.0, noise.bias, generator) * scale
    offset = torch.randn((batch, frames, joints, 2), generator=generator) * jitter
    offset += torch.randn((batch, 1, joints, 2), generator=generator) * bias
    if noise.outlier_rate > 0:
        outliers = torch.rand((batch, frames, joints, 1), generator=generator) < noise.outlier_rate
        far = torch.randn((batch, frames, joints, 2), generator=generator) * (noise.outlier_scale * scale)
        offset += outliers * far
    out = x + offset.to(device)
    if noise.swap_rate > 0:
        swap = torch.rand((batch, frames), generator=generator) < noise.swap_rate
        if swap.any():
            limb = torch.randint(len(_LIMB_JOINTS), (batch, frames), generator=generator)
            out = out.clone()
            for index, pairs in enumerate(_LIMB_JOINTS):
                chosen = (swap & (limb == index)).to(device)
                for left, right in pairs:
                    l_values, r_values = out[:, :, left].clone(), out[:, :, right].clone()
                    out[:, :, left] = torch.where(chosen[..., None], r_values, l_values)
                    out[:, :, right] = torch.where(chosen[..., None], l_values, r_values)
    return out


def _axis_angle(axis: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Rotation matrices (B, 3, 3) about unit `axis` (B, 3) by `angle` (B,) radians (Rodrigues)."""
    x, y, z = axis.unbind(-1)
    zero = torch.zeros_like(x)
    k = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1).view(-1, 3, 3)
    eye = torch.eye(3, dtype=axis.dtype).expand_as(k)
    s, c = torch.sin(angle)[:, None, None], torch.cos(angle)[:, None, None]
    return eye + s * k + (1 - c) * (k @ k)


def random_cameras(pivot: torch.Tensor, cameras: VirtualCameras, generator: torch.Generator
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random cameras looking near `pivot` (B, 3) world metres, z up.

    Returns rotation R (B, 3, 3) world -> camera (x right, y down, z forward), centre C (B, 3) world metres,
    and focal length / image width (B,).
    """
    batch = pivot.shape[0]
    azimuth = _uniform((batch,), 0.0, 2 * math.pi, generator)
    elevation = torch.deg2rad(_uniform((batch,), *cameras.elevation_deg, generator))
    distance = _uniform((batch,), *cameras.distance_m, generator)
    direction = torch.stack([torch.cos(elevation) * torch.cos(azimuth), torch.cos(elevation) * torch.sin(azimuth),
                             torch.sin(elevation)], dim=-1)
    centre = pivot + distance[:, None] * direction
    forward = -direction
    up = torch.tensor([0.0, 0.0, 1.0]).expand_as(forward)
    right = torch.nn.functional.normalize(torch.cross(forward, up, dim=-1), dim=-1)
    down = torch.cross(forward, right, dim=-1)
    looking_at_pivot = torch.stack([right, down, forward], dim=1)  # rows: camera axes in world coordinates
    roll = _axis_angle(torch.tensor([0.0, 0.0, 1.0]).expand(batch, 3),
                       torch.deg2rad(_uniform((batch,), *cameras.roll_deg, generator)))
    log_low, log_high = math.log(cameras.focal[0]), math.log(cameras.focal[1])
    focal = torch.exp(_uniform((batch,), log_low, log_high, generator))
    # turn the camera so that the pivot lands at a random offset from the image centre
    target = torch.stack([_uniform((batch,), -cameras.offset_x, cameras.offset_x, generator) / (2 * focal),
                          _uniform((batch,), -cameras.offset_y, cameras.offset_y, generator) / (2 * focal),
                          torch.ones(batch)], dim=-1)
    target = torch.nn.functional.normalize(target, dim=-1)
    optical = torch.tensor([0.0, 0.0, 1.0]).expand_as(target)
    axis = torch.cross(optical, target, dim=-1)
    sin = torch.linalg.vector_norm(axis, dim=-1).clamp_min(1e-9)
    aim = _axis_angle(axis / sin[:, None], torch.atan2(sin, (optical * target).sum(-1)))
    return aim @ roll @ looking_at_pivot, centre, focal


def virtual_camera_windows(world: torch.Tensor, target_index: int, cameras: VirtualCameras,
                           generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """World-frame windows (B, N, 17, 3) metres, z up -> (2D (B, N, 17, 2) normalised, 3D (B, N, 17, 3)
    camera frame, root-relative metres) seen by one random static camera per window (pinhole).

    The camera looks near the pelvis of frame `target_index` of each window.
    """
    device = world.device
    rotation, centre, focal = random_cameras(world[:, target_index, 0].cpu(), cameras, generator)
    rotation, centre, focal = rotation.to(device), centre.to(device), focal.to(device)
    camera = torch.einsum("bij,bnkj->bnki", rotation, world - centre[:, None, None, :])
    depth = camera[..., 2:3].clamp_min(0.1)
    x = 2 * focal[:, None, None, None] * camera[..., :2] / depth
    return x, camera - camera[:, :, :1]
