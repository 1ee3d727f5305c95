"""Temporal smoothing of joint trajectories: One-Euro (streaming, live), Savitzky-Golay and Butterworth (offline).

All work on `(T, ...)` arrays over axis 0 (frames); `smooth(motion, method, **params)` applies one to a Motion.
NaN frames are left NaN (offline filters fill them by interpolation for filtering only).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from pstmo.errors import InputError

from .motion import Motion

METHODS: tuple[str, ...] = ("one_euro", "savgol", "butterworth")
"""The filters `smooth` applies."""
CHOICES: tuple[str, ...] = ("none", *METHODS)
"""What a user chooses among (CLI flags, pipeline settings, GUI): no smoothing, or one of METHODS."""
DEFAULTS: dict[str, dict[str, float]] = {
    "one_euro": {"min_cutoff": 2.0, "beta": 8.0, "d_cutoff": 1.0},
    "savgol": {"window_s": 0.3, "polyorder": 4},
    "butterworth": {"cutoff_hz": 6.0, "order": 4},
}
"""Default parameters per method, chosen on H36M (benchmarks/results/motion_smoothing.json): the offline filters
move clean root-relative motion by < 1 mm MPJPE even on fast walking, and cut velocity/acceleration error
of noisy input severalfold; heavier smoothing scores slightly better on very noisy input (see the grid)."""


def _alpha(cutoff_hz: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Streaming One-Euro filter (Casiez et al., CHI 2012) on arrays of any fixed shape.

    min_cutoff: Hz, the cutoff at rest (lower = smoother, more lag); beta: how fast the cutoff rises with
    speed (per unit/s; higher = less lag on fast moves); d_cutoff: Hz, cutoff of the speed estimate.
    Call `filter(x, t)` once per frame (t in seconds; or give fps and omit t). NaN entries pass through as NaN
    and do not disturb the state.
    """

    def __init__(self, fps: float = 30.0, min_cutoff: float = 2.0, beta: float = 8.0, d_cutoff: float = 1.0):
        if fps <= 0 or min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise InputError("One-Euro filter: fps, min_cutoff and d_cutoff must be positive, beta >= 0")
        self.fps, self.min_cutoff, self.beta, self.d_cutoff = fps, min_cutoff, beta, d_cutoff
        self.reset()

    def reset(self) -> None:
        """Forget the past (e.g. after a track is lost)."""
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def filter(self, x: np.ndarray, t: float | None = None) -> np.ndarray:
        """The filtered value of sample `x` taken at time `t` seconds."""
        x = np.asarray(x, dtype=np.float64)
        if t is None:
            t = 0.0 if self._t is None else self._t + 1.0 / self.fps
        if self._x is None:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t if t > self._t else 1.0 / self.fps
        self._t = t
        finite = np.isfinite(x) & np.isfinite(self._x)
        fresh = np.isfinite(x) & ~np.isfinite(self._x)
        dx = np.where(finite, (x - np.where(finite, self._x, 0.0)) / dt, 0.0)
        a_d = _alpha(self.d_cutoff, dt)
        self._dx = np.where(finite, a_d * dx + (1 - a_d) * self._dx, self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        tau = 1.0 / (2.0 * np.pi * cutoff)
        a = 1.0 / (1.0 + tau / dt)
        smoothed = np.where(finite, a * x + (1 - a) * np.where(finite, self._x, 0.0), x)
        self._x = np.where(finite | fresh, smoothed, self._x)
        self._dx = np.where(fresh, 0.0, self._dx)
        return np.where(np.isfinite(x), smoothed, np.nan)

    __call__ = filter


def one_euro(values: np.ndarray, fps: float, min_cutoff: float = 2.0, beta: float = 8.0,
             d_cutoff: float = 1.0) -> np.ndarray:
    """One-Euro filter run forward over `(T, ...)` values sampled at `fps`."""
    smoother = OneEuroFilter(fps, min_cutoff, beta, d_cutoff)
    return np.stack([smoother(frame) for frame in np.asarray(values, dtype=np.float64)]) if len(values) else values


def _fill_nan(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    flat = values.reshape(len(values), -1).copy()
    missing = ~np.isfinite(flat)
    index = np.arange(len(flat))
    for column in np.nonzero(missing.any(axis=0))[0]:
        known = ~missing[:, column]
        if known.any():
            flat[:, column] = np.interp(index, index[known], flat[known, column])
    return flat.reshape(values.shape), missing.reshape(values.shape)


def savgol(values: np.ndarray, fps: float, window_s: float = 0.3, polyorder: int = 4) -> np.ndarray:
    """Savitzky-Golay filter over time: a `polyorder` polynomial fitted in a window of `window_s` seconds."""
    values = np.asarray(values, dtype=np.float64)
    polyorder = int(polyorder)
    window = int(round(window_s * fps)) | 1  # odd
    window = min(window, len(values) if len(values) % 2 else len(values) - 1)
    if window <= polyorder:
        return values.copy()
    filled, missing = _fill_nan(values)
    return np.where(missing, np.nan, savgol_filter(filled, window, polyorder))


def savgol_filter(values: np.ndarray, window: int, polyorder: int) -> np.ndarray:
    """`scipy.signal.savgol_filter(values, window, polyorder, axis=0, mode="interp")` in numpy (equal to float64
    rounding; importing scipy.signal takes over a second): each frame becomes the value at its centre of the
    degree-`polyorder` polynomial fitted by least squares to the odd `window` frames around it; the first and
    last `window // 2` frames take the polynomial fitted to the first / last `window` frames instead.
    values: (T, ...) with T >= window > polyorder."""
    values = np.asarray(values, dtype=np.float64)
    half = window // 2
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    # least-squares weights of the centre value: row 0 of the pseudo-inverse of the window's Vandermonde matrix
    weights = np.linalg.pinv(offsets[:, None] ** np.arange(polyorder + 1))[0]
    flat = values.reshape(len(values), -1)
    out = np.empty_like(flat)
    frames = len(flat)
    out[half:frames - half] = sum(weights[k] * flat[k:frames - window + 1 + k] for k in range(window))
    positions = np.arange(window, dtype=np.float64)
    for start, first, stop in ((0, 0, half), (frames - window, frames - half, frames)):
        fitted = np.polynomial.polynomial.polyfit(positions, flat[start:start + window], polyorder)  # (p + 1, D)
        out[first:stop] = np.polynomial.polynomial.polyval(np.arange(first - start, stop - start), fitted).T
    return out.reshape(values.shape)


def butterworth(values: np.ndarray, fps: float, cutoff_hz: float = 6.0, order: int = 4) -> np.ndarray:
    """Zero-phase low-pass Butterworth filter (forward-backward) with cutoff `cutoff_hz`."""
    values = np.asarray(values, dtype=np.float64)
    if cutoff_hz >= fps / 2:
        raise InputError(f"Butterworth cutoff {cutoff_hz} Hz must be below half the frame rate ({fps / 2} Hz)")
    from scipy.signal import butter, sosfiltfilt  # here: importing scipy.signal takes ~1.2 s

    sos = butter(int(order), cutoff_hz, btype="low", fs=fps, output="sos")
    padlen = 3 * (2 * len(sos) + 1)
    if len(values) <= padlen:
        return values.copy()
    filled, missing = _fill_nan(values)
    return np.where(missing, np.nan, sosfiltfilt(sos, filled, axis=0))


_FILTERS = {"one_euro": one_euro, "savgol": savgol, "butterworth": butterworth}


def smooth_array(values: np.ndarray, fps: float, method: str = "one_euro", **params: float) -> np.ndarray:
    """Smooth `(T, ...)` values sampled at `fps` with `method` and its parameters (DEFAULTS otherwise)."""
    if method not in _FILTERS:
        raise InputError(f"unknown smoothing {method!r}; use one of {', '.join(METHODS)}")
    unknown = set(params) - set(DEFAULTS[method])
    if unknown:
        raise InputError(f"{method} smoothing has no parameter {', '.join(sorted(unknown))}; "
                         f"it takes {', '.join(DEFAULTS[method])}")
    return _FILTERS[method](values, fps, **{**DEFAULTS[method], **params})


def smooth(motion: Motion, method: str = "one_euro", **params: float) -> Motion:
    """The motion with its joint trajectories smoothed (see `smooth_array`)."""
    joints = smooth_array(motion.joints, motion.fps, method, **params)
    metadata = {**motion.metadata, "smoothing": {"method": method, **DEFAULTS[method], **params}}
    return dataclasses.replace(motion, joints=joints, metadata=metadata)
