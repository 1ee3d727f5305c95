"""The inference engine: 2D keypoint tracks in pixels -> 3D poses in metres with a P-STMO model.

`Lifter.lift` estimates every frame of a track (offline); `Lifter.stream` does the same one frame at a
time (live). Both compute exactly what the authors' evaluation computes, only faster:

- Input: (T, 17, 2) pixels, H36M-17 order, normalised by the image width (`pstmo.transforms`).
- Windows: frame t is estimated from N = `config.frames` frames taken every s = `config.tds` frames, centred
  on t or, for a causal model, ending at t, edge-padded (`pstmo.transforms.window_offsets`, shared with
  training).
- Output: the model's single-frame (MOFA) estimate for t, root joint set to zero: (T, 17, 3) float32
  metres, root-relative, camera frame.
- Flip test-time augmentation (default on): the mirrored input (`pstmo.transforms.flip_poses`) is lifted
  too, its output mirrored back, and the two averaged.

Speed: in eval mode SEM works on each frame alone, so its features are computed once per frame and windows
are gathered from them; TEM + MOFA run in batches; long inputs go in chunks so memory stays bounded.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from pstmo.config import ModelConfig
from pstmo.cpu_kernels import matmul_backend
from pstmo.device import resolve_device, resolve_dtype
from pstmo.errors import InputError
from pstmo.skeleton import H36M_ROOT, NUM_JOINTS
from pstmo.transforms import flip_poses, normalize_screen_coordinates, window_indices_np
from pstmo.transforms import window_offsets as _offsets

ProgressCallback = Callable[[int, int], None]
"""progress(frames_done, frames_total)."""

CHUNK_FRAMES = 8192
"""Output frames per chunk: SEM features are kept for one chunk (plus its window margins) at a time."""

def window_offsets(config: ModelConfig) -> np.ndarray:
    """Frame offsets of a window relative to the frame it estimates: (N,) ints (`pstmo.transforms`)."""
    return _offsets(config.frames, config.tds, config.causal)


def window_indices(frames: np.ndarray, num_frames: int, config: ModelConfig) -> np.ndarray:
    """Source frame of every window slot: `frames` (B,) -> (B, N), edge-padded into [0, num_frames)."""
    return window_indices_np(frames, num_frames, window_offsets(config))


def _check_keypoints(keypoints_2d: Any, what: str = "keypoints_2d") -> np.ndarray:
    try:
        points = np.asarray(keypoints_2d, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: not a numeric array ({exc})") from None
    if points.ndim != 3 or points.shape[1:] != (NUM_JOINTS, 2):
        raise InputError(f"{what}: expected shape (T, {NUM_JOINTS}, 2) pixels, got {points.shape}")
    if points.shape[0] == 0:
        raise InputError(f"{what}: no frames (T = 0)")
    if not np.isfinite(points).all():
        bad = np.flatnonzero(~np.isfinite(points).all(axis=(1, 2)))
        raise InputError(
            f"{what}: NaN or infinite coordinates in {bad.size} frame(s), first at frame {bad[0]}; "
            "fill gaps before lifting"
        )
    return points


def _check_image_size(image_size: Any) -> tuple[float, float]:
    try:
        w, h = (float(v) for v in image_size)
    except (TypeError, ValueError):
        raise InputError(f"image_size: expected (width, height) in pixels, got {image_size!r}") from None
    if not (w > 0 and h > 0 and math.isfinite(w) and math.isfinite(h)):
        raise InputError(f"image_size: width and height must be positive, got {image_size!r}")
    return w, h


def _check_confidence(confidence: Any, frames: int) -> None:
    if confidence is None:
        return
    shape = np.shape(confidence)
    if shape not in ((frames, NUM_JOINTS), (frames, NUM_JOINTS, 1)):
        raise InputError(f"confidence: expected shape ({frames}, {NUM_JOINTS}), got {shape}")


def _check_frames(frames: Any, length: int) -> np.ndarray:
    """(K,) integer frame indices inside [0, length)."""
    index = np.asarray(frames)
    if index.ndim != 1 or not (np.issubdtype(index.dtype, np.integer) or index.size == 0):
        raise InputError(f"frames: expected a 1-D array of frame indices, got shape {index.shape} {index.dtype}")
    if index.size and (index.min() < 0 or index.max() >= length):
        raise InputError(f"frames: indices must lie in [0, {length}), got {index.min()}..{index.max()}")
    return index.astype(np.int64)


class Lifter:
    """A Stage II P-STMO model ready to lift 2D tracks (eval mode, inference only).

    `device`: 'auto' (CUDA when available), 'cpu', 'cuda', ... `dtype`: compute precision: float32,
    bfloat16 or float16 (TEM and MOFA under autocast: matrix products in that precision; SEM and the returned
    poses stay float32), or 'auto' (default; `pstmo.device.resolve_dtype`: bfloat16/float16 on CUDA, bfloat16
    on a CPU with native bfloat16, else float32). Stream pushes run in `stream_dtype`: the same, except that
    'auto' on the CPU streams in float32, faster there for one window at a time (`resolve_dtype`'s `streaming`).
    """

    def __init__(
        self,
        model: nn.Module,
        config: ModelConfig,
        device: str | torch.device = "auto",
        dtype: torch.dtype | str = "auto",
    ) -> None:
        for name in ("embed", "forward_embedded"):
            if not callable(getattr(model, name, None)):
                raise InputError(f"lifter: the model has no {name}(); a Stage II P-STMO model is needed")
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self.stream_dtype = resolve_dtype(dtype, self.device, streaming=True)
        self.model = model.to(self.device).eval()
        self.config = config
        self.metadata: dict[str, Any] = {}
        self._has_forward_center = callable(getattr(model, "forward_center", None))
        self.default_batch_size = 256 if self.device.type == "cuda" else 64

    @classmethod
    def from_checkpoint(
        cls,
        path: str | Path,
        device: str | torch.device = "auto",
        dtype: torch.dtype | str = "auto",
        **arch: Any,
    ) -> Lifter:
        """Load our checkpoint (safetensors + JSON) or an authors' `.pth` (then `arch` gives frames, layers,
        channel and optionally tds, causal). Raises InputError for unreadable files and Stage I models."""
        from pstmo.checkpoint import load_checkpoint

        loaded = load_checkpoint(path, device=resolve_device(device), **arch)
        if loaded.stage != 2:
            raise InputError(f"{path}: a Stage I (pre-training) checkpoint cannot lift; use a Stage II one")
        lifter = cls(loaded.model, loaded.config, device=device, dtype=dtype)
        lifter.metadata = dict(loaded.metadata)
        return lifter

    # ------------------------------------------------------------------------------------------ properties

    @property
    def receptive_field(self) -> int:
        """Frames of video one estimate looks at: (N - 1) * s + 1."""
        return self.config.receptive_field

    @property
    def delay(self) -> int:
        """Frames a stream waits before it can answer: half the receptive field when centred, 0 when causal."""
        return 0 if self.config.causal else int(window_offsets(self.config).max())

    # ------------------------------------------------------------------------------------------ core

    def _normalise(self, keypoints: np.ndarray, image_size: tuple[float, float], flip: bool) -> Tensor:
        """(T, 17, 2) pixels -> (V, T, 17, 2) normalised on the device; V = 2 with flip (original, mirrored)."""
        w, h = image_size
        x = torch.from_numpy(normalize_screen_coordinates(keypoints, w, h).astype(np.float32)).to(self.device)
        if not flip:
            return x[None]
        return torch.stack([x, flip_poses(x)])

    def _autocast(self, dtype: torch.dtype) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=dtype, enabled=dtype != torch.float32)

    def _embed(self, x: Tensor) -> Tensor:
        """(V, F, 17, 2) normalised -> (V, F, C) SEM features, always in float32: SEM runs once per frame
        (cheap) and bfloat16 would round the 2D input to about 2 pixels at the image edge."""
        return self.model.embed(x)

    def _estimate(self, windows: Tensor, dtype: torch.dtype) -> Tensor:
        """(V, B, N, C) window features -> (B, 17, 3) float32 poses (flip-averaged, root zeroed); TEM and MOFA
        in `dtype` (`self.dtype` offline, `self.stream_dtype` for streams)."""
        variants, batch = windows.shape[:2]
        flat = windows.reshape(variants * batch, *windows.shape[2:])
        with self._autocast(dtype):
            # `forward_center` (when the model has it) skips the multi-frame head the lifter does not use
            if self._has_forward_center:
                center = self.model.forward_center(flat)
            else:
                center = self.model.forward_embedded(flat)[0]
        poses = center.float().reshape(variants, batch, NUM_JOINTS, 3)
        if variants == 2:
            poses = (poses[0] + flip_poses(poses[1])) / 2
        else:
            poses = poses[0]
        poses[:, H36M_ROOT] = 0.0
        return poses

    # ------------------------------------------------------------------------------------------ offline

    def lift(
        self,
        keypoints_2d: np.ndarray,
        image_size: tuple[float, float],
        confidence: np.ndarray | None = None,
        flip: bool = True,
        batch_size: int | None = None,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        frames: np.ndarray | None = None,
    ) -> np.ndarray:
        """Lift a whole track: (T, 17, 2) pixels, H36M-17 order, no NaN -> (T, 17, 3) float32 metres,
        root-relative, camera frame. Any T >= 1.

        `image_size`: (width, height) pixels of the video the keypoints come from.
        `confidence`: (T, 17) scores, accepted for API stability; the P-STMO model does not use them.
        `flip`: flip test-time augmentation (about twice the work, slightly more accurate).
        `batch_size`: frames estimated per forward pass (each makes two windows with flip).
        `frames`: (K,) indices of the frames to estimate (evaluation on every k-th frame); the result is then
        (K, 17, 3) in that order, each pose exactly what the whole-track call gives for that frame.
        `progress(done, total)` is called with frame counts after each batch; when `cancel` is set, lifting
        stops after the current batch and the frames not lifted yet are NaN (the caller checks its event).
        Raises InputError for wrong shapes, T = 0, NaN / infinite values or a bad image size.
        """
        points = _check_keypoints(keypoints_2d)
        size = _check_image_size(image_size)
        _check_confidence(confidence, points.shape[0])
        batch_size = int(batch_size or self.default_batch_size)
        if batch_size < 1:
            raise InputError(f"batch_size must be >= 1, got {batch_size}")
        length = points.shape[0]
        targets = np.arange(length) if frames is None else _check_frames(frames, length)
        total = len(targets)
        out = np.full((total, NUM_JOINTS, 3), np.nan, dtype=np.float32)
        chunk = max(CHUNK_FRAMES, batch_size)
        with torch.inference_mode():
            for start in range(0, total, chunk):
                stop = min(start + chunk, total)
                index = window_indices(targets[start:stop], length, self.config)
                # SEM runs once per source frame the chunk's windows need, then windows gather from it
                needed, local = np.unique(index, return_inverse=True)
                features = self._embed(self._normalise(points[needed], size, flip))
                local = torch.from_numpy(local.reshape(index.shape)).to(self.device)
                for first in range(start, stop, batch_size):
                    if cancel is not None and cancel.is_set():
                        return out
                    last = min(first + batch_size, stop)
                    windows = features[:, local[first - start : last - start]]
                    out[first:last] = self._estimate(windows, self.dtype).cpu().numpy()
                    if progress is not None:
                        progress(last, total)
        return out

    def lift_sequences(
        self,
        sequences: list[np.ndarray],
        image_size: tuple[float, float],
        flip: bool = True,
        batch_size: int | None = None,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> list[np.ndarray]:
        """`[lift(k, ...) for k in sequences]` (several people of one video) in one call: the sequences one after
        the other, each one's first frame repeated before it and its last frame after it (`receptive_field` - 1
        times), so every window sees exactly the edge padding a call of its own gives; only their own frames
        are estimated. Returns one (T_i, 17, 3) array per sequence, in order."""
        pad = max(int(self.receptive_field) - 1, 0)
        pieces, targets, start = [], [], 0
        for n, points in enumerate(sequences):
            points = _check_keypoints(points)
            before = np.repeat(points[:1], pad if n > 0 else 0, axis=0)
            after = np.repeat(points[-1:], pad if n < len(sequences) - 1 else 0, axis=0)
            targets.append(start + len(before) + np.arange(len(points)))
            pieces += [before, points, after]
            start += len(before) + len(points) + len(after)
        joints = self.lift(np.concatenate(pieces), image_size, flip=flip, batch_size=batch_size,
                           frames=np.concatenate(targets), progress=progress, cancel=cancel)
        return np.split(joints, np.cumsum([len(t) for t in targets])[:-1])

    # ------------------------------------------------------------------------------------------ live

    def stream(self, image_size: tuple[float, float], flip: bool = True) -> LiftStream:
        """A `LiftStream` for live use: push one frame of 2D keypoints at a time."""
        return LiftStream(self, image_size, flip=flip)

    def push_streams(self, streams: list[LiftStream], keypoints: list[np.ndarray]
                     ) -> list[list[tuple[int, np.ndarray]]]:
        """`[stream.push(k) for stream, k in zip(streams, keypoints)]` for several people followed live, with
        one SEM pass and one window pass for all of them (one model call per frame, whatever the number of
        people); the same answers as pushing each. Streams of another lifter, image size or flip setting are
        pushed one by one."""
        if len(streams) != len(keypoints):
            raise InputError(f"push_streams: {len(streams)} streams but {len(keypoints)} keypoint sets")
        if not streams:
            return []
        first = streams[0]
        if len(streams) == 1 or any(s.lifter is not self or s.image_size != first.image_size or s.flip != first.flip
                                    for s in streams):
            return [stream.push(points) for stream, points in zip(streams, keypoints, strict=True)]
        points = np.concatenate([_check_keypoints(np.asarray(k, dtype=np.float32)[None], "keypoints_2d (one frame)")
                                 for k in keypoints])
        with torch.inference_mode(), matmul_backend(LiftStream.STREAM_MATMULS):
            features = self._embed(self._normalise(points, first.image_size, first.flip))  # (V, people, C)
        windows, asked = [], []
        for n, stream in enumerate(streams):
            stream._store(features[:, n:n + 1])
            frames, pool_index = stream._ready()
            asked.append(frames)
            if len(frames):
                windows.append(pool_index)
        if not windows:
            return [[] for _ in streams]
        with torch.inference_mode(), matmul_backend(LiftStream.STREAM_MATMULS):
            poses = self._estimate(torch.cat(windows, dim=1), self.stream_dtype).cpu().numpy()
        out, used = [], 0
        for stream, frames in zip(streams, asked, strict=True):
            out.append([(frame, pose) for frame, pose in zip(frames, poses[used:used + len(frames)], strict=True)])
            used += len(frames)
            stream._next = frames.stop if len(frames) else stream._next
        return out


class LiftStream:
    """Frame-by-frame lifting with the same results as `Lifter.lift` on the same frames (in `stream_dtype`:
    where the lifter's 'auto' precision lifts offline in bfloat16 and streams in float32, the two differ by
    bfloat16 rounding, about 0.4 mm a joint on average).

    `push(keypoints (17, 2) pixels)` returns the poses that became ready: a list of (frame index, (17, 3)
    float32 metres). A causal model answers each frame at once; a centred model answers frame t when frame
    t + delay arrives (delay = half the receptive field). `flush()` answers the remaining frames (edge-
    padding the end, as offline) and starts a new sequence: the next push is frame 0 again.
    SEM features of the frames still needed are kept, so each push embeds one frame and runs one window.
    Its matrix products run on ATen (`STREAM_MATMULS`): for one window oneDNN's per-call set-up costs more
    than the product itself (measured: 3.8 vs 5.0 ms a push, N = 9 model, flip, one thread).
    """

    STREAM_MATMULS = "aten"

    def __init__(self, lifter: Lifter, image_size: tuple[float, float], flip: bool = True) -> None:
        self.lifter = lifter
        self.image_size = _check_image_size(image_size)
        self.flip = flip
        self._offsets = window_offsets(lifter.config)
        self._reset()

    def _reset(self) -> None:
        self._features: Tensor | None = None  # (V, kept frames, C): frames from self._base on
        self._first: Tensor | None = None  # (V, 1, C) features of frame 0 (left edge padding)
        self._base = 0  # frame index of self._features[:, 0]
        self._count = 0  # frames pushed
        self._next = 0  # next frame to answer

    @property
    def frames_pushed(self) -> int:
        return self._count

    def _store(self, features: Tensor) -> None:
        """Append one frame's features (V, 1, C); drop frames no future window needs."""
        if self._first is None:
            self._first = features
        keep_from = max(0, self._next + int(self._offsets.min()))
        if self._features is None:
            self._features = features
            self._base = self._count
        else:
            drop = keep_from - self._base
            if drop > 0:
                self._features = self._features[:, drop:]
                self._base += drop
            self._features = torch.cat([self._features, features], dim=1)
        self._count += 1

    def _windows(self, frames: range, last_frame: int) -> Tensor:
        """(V, len(frames), N, C) window features of `frames`, edge-padded into [0, last_frame]."""
        index = window_indices(np.asarray(frames), last_frame + 1, self.lifter.config)
        # frame 0 may have left the buffer: slot -1 (prepended) holds it
        local = np.where(index < self._base, -1, index - self._base) + 1
        assert self._features is not None and self._first is not None
        pool = torch.cat([self._first, self._features], dim=1)
        return pool[:, torch.from_numpy(local).to(pool.device)]

    def _ready(self) -> tuple[range, Tensor | None]:
        """After a frame is stored: the frames whose window lies inside what we have, and their windows."""
        ready_until = self._count - int(self._offsets.max())
        frames = range(self._next, max(self._next, ready_until))
        return frames, (self._windows(frames, self._count - 1) if len(frames) else None)

    def _answer(self, frames: range, last_frame: int) -> list[tuple[int, np.ndarray]]:
        """Estimate `frames` with windows edge-padded into [0, last_frame]."""
        if len(frames) == 0:
            return []
        windows = self._windows(frames, last_frame)
        with torch.inference_mode(), matmul_backend(self.STREAM_MATMULS):
            poses = self.lifter._estimate(windows, self.lifter.stream_dtype).cpu().numpy()
        self._next = frames.stop
        return [(frame, pose) for frame, pose in zip(frames, poses, strict=True)]

    def push(self, keypoints_2d: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Add frame `frames_pushed` ((17, 2) pixels, no NaN); returns the (frame index, (17, 3)) now ready."""
        points = _check_keypoints(np.asarray(keypoints_2d, dtype=np.float32)[None], "keypoints_2d (one frame)")
        with torch.inference_mode(), matmul_backend(self.STREAM_MATMULS):
            self._store(self.lifter._embed(self.lifter._normalise(points, self.image_size, self.flip)))
        ready_until = self._count - int(self._offsets.max())  # frames whose window lies inside what we have
        return self._answer(range(self._next, max(self._next, ready_until)), self._count - 1)

    def flush(self) -> list[tuple[int, np.ndarray]]:
        """Answer every frame not answered yet (end of the sequence) and reset the stream."""
        if self._count == 0:
            return []
        answers = self._answer(range(self._next, self._count), self._count - 1)
        self._reset()
        return answers
