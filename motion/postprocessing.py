"""`postprocess`: the pipeline's one call from the lifter's output to a finished Motion."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from pstmo.errors import InputError
from tracks.track import Track2D

from .bones import constant_bone_lengths
from .contacts import detect_foot_contacts, lock_feet
from .motion import Motion
from .root_trajectory import estimate_root_trajectory, guess_focal_length
from .smoothing import smooth, smooth_array
from .world import to_world

DEFAULT_SMOOTHING = "savgol"
"""Offline default: costs <1 mm MPJPE on clean H36M; One-Euro (causal, for live use) costs ~6 mm."""


def _smoothing_spec(smoothing: str | dict[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    if smoothing is None or smoothing == "none":
        return None
    if isinstance(smoothing, str):
        return smoothing, {}
    params = dict(smoothing)
    method = params.pop("method", DEFAULT_SMOOTHING)
    return method, params


def postprocess(
    joints_rel: np.ndarray,
    track: Track2D | None,
    *,
    smoothing: str | dict[str, Any] | None = DEFAULT_SMOOTHING,
    world: bool = True,
    root_trajectory: bool = True,
    foot_lock: bool = False,
    constant_bones: bool = False,
    up: str = "y",
    focal_length_px: float | None = None,
    fps: float | None = None,
    metadata: dict[str, Any] | None = None,
) -> Motion:
    """Lifter output -> Motion, in this order: constant bone lengths (optional) -> smoothing -> root trajectory
    from the 2D track (smoothed the same way) -> world frame (floor at the feet) -> foot contacts -> foot lock.

    joints_rel: (T, 17, 3) metres, root-relative, camera frame. track: the 2D track the lifter saw (gives fps,
    image size, confidences and the keypoints for the root trajectory); None -> no trajectory, `fps` required.
    smoothing: None/"none", a method name ("one_euro", "savgol", "butterworth") or {"method": ..., **params}.
    focal_length_px: None -> guessed from the image size (`guess_focal_length`).
    """
    joints_rel = np.asarray(joints_rel, dtype=np.float64)
    fps = float(track.fps if track is not None and fps is None else (fps or 0.0))
    if fps <= 0:
        raise InputError("postprocess: fps is unknown (give a track or fps)")
    info: dict[str, Any] = dict(metadata or {})
    for alias, name in (("checkpoint", "model_checkpoint"), ("source", "source_video")):
        if info.get(alias) and not info.get(name):
            info[name] = info[alias]
    confidence = None
    if track is not None:
        if len(track) != len(joints_rel):
            raise InputError(f"postprocess: {len(joints_rel)} 3D frames but {len(track)} 2D frames")
        confidence = track.confidence
        info.setdefault("source_video", track.source)
        info.setdefault("detector", track.detector)
        info.setdefault("image_size", list(track.image_size))
    motion = Motion(joints_rel, fps=fps, frame="camera", root_relative=True, confidence=confidence, metadata=info)
    if constant_bones:
        motion = constant_bone_lengths(motion)
    spec = _smoothing_spec(smoothing)
    if spec is not None:
        motion = smooth(motion, spec[0], **spec[1])
    if root_trajectory and track is not None:
        focal = guess_focal_length(track.image_size) if focal_length_px is None else float(focal_length_px)
        trajectory = estimate_root_trajectory(motion.joints, track.keypoints, track.image_size, focal,
                                              confidence=track.confidence)
        if spec is not None:
            trajectory = smooth_array(trajectory, fps, spec[0], **spec[1])
        motion.metadata["focal_length_px"] = focal
        motion.metadata["focal_length_guessed"] = focal_length_px is None
        motion.metadata["root_trajectory"] = "estimated"
        motion = dataclasses.replace(motion, joints=motion.joints + trajectory[:, None, :], root_relative=False)
    if world:
        motion = to_world(motion, up=up)
        motion.contacts = detect_foot_contacts(motion)
        if foot_lock:
            motion = lock_feet(motion, motion.contacts)
    return motion
