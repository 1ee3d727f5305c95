"""`postprocess`: the pipeline's one call from the lifter's output to a finished Motion; `postprocess_people`
does the same for everyone seen by one camera, in one shared world frame."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from pstmo.errors import InputError
from tracks.track import Track2D

from .bones import constant_bone_lengths
from .contacts import detect_foot_contacts, lock_feet
from .motion import Motion
from .root_trajectory import estimate_root_trajectory, guess_focal_length
from .smoothing import smooth, smooth_array
from .world import LEVEL_BAND, MIN_LEVEL_POINTS, MIN_LEVEL_SHARE, foot_points, level_heights, to_world, world_frame

SCALES = ("height_prior", "floor")
"""How each person's size (and so their distance from the camera) is found, see `postprocess_people`."""
MAX_FLOOR_SCALE = 1.3
"""`scale="floor"`: a person whose own lowest foot level is more than this factor off the scene's floor is taken
to stand somewhere else (a wall, a table) and keeps the height prior."""
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
    metadata: dict[str, Any] | None = None,
    measured: np.ndarray | None = None,
    **options: Any,
) -> Motion:
    """Lifter output -> Motion, in this order: constant bone lengths (optional) -> smoothing -> root trajectory
    from the 2D track (smoothed the same way) -> world frame (floor at the feet) -> foot contacts -> foot lock.

    joints_rel: (T, 17, 3) metres, root-relative, camera frame. track: the 2D track the lifter saw (gives fps,
    image size, confidences and the keypoints for the root trajectory); None -> no trajectory, `fps` required.
    measured: (T,) bool, the frames whose feet may place the floor (None: all; the pipeline leaves out the
    frames where the person was not detected). options: `smoothing`, `world`, `root_trajectory`, `foot_lock`,
    `constant_bones`, `up`, `focal_length_px`, `fps`, as for `postprocess_people` (one person: one scene).
    """
    return postprocess_people([(joints_rel, track)], metadata=[metadata], measured=[measured], **options)[0]


def postprocess_people(
    people: Sequence[tuple[np.ndarray, Track2D | None]],
    *,
    smoothing: str | dict[str, Any] | None = DEFAULT_SMOOTHING,
    world: bool = True,
    root_trajectory: bool = True,
    foot_lock: bool = False,
    constant_bones: bool = False,
    up: str = "y",
    focal_length_px: float | None = None,
    fps: float | None = None,
    metadata: Sequence[dict[str, Any] | None] | None = None,
    measured: Sequence[np.ndarray | None] | None = None,
    scale: str = "height_prior",
) -> list[Motion]:
    """Everyone seen by one camera -> one Motion each, placed in one world frame.

    smoothing: None/"none", a method name ("one_euro", "savgol", "butterworth") or {"method": ..., **params}.
    focal_length_px: None -> guessed from the image size (`guess_focal_length`). fps: needed when a track is None.

    people: [(joints_rel (T_i, 17, 3), its Track2D)] as for `postprocess`; the tracks may cover different frame
    ranges of one video (each person's own). Each person gets their own root trajectory from their 2D (one
    focal length for all: one camera), then `motion.world.world_frame` finds one up direction and one floor
    from everyone's feet and `to_world` places each person in it; the horizontal origin is the first person's
    root at their first frame. Relative positions are right up to the single-camera scale ambiguity (a person
    twice as big and twice as far makes the same image): `scale` says how each person's size is chosen.
    "height_prior": the lifter's metric skeleton (the size of the H36M adults it learned from) against their 2D
    size. "floor": then everyone whose feet stand on the scene's floor is scaled about the camera (which keeps
    their image) so that their feet meet it; the scene keeps the people's mean size; a person whose own floor
    is more than `MAX_FLOOR_SCALE` times off (on a wall) keeps the prior. Measured in docs/motion.md.
    metadata / measured: per person, as for `postprocess`.
    """
    if scale not in SCALES:
        raise InputError(f"postprocess: scale must be one of {', '.join(SCALES)}, got {scale!r}")
    if not len(people):
        raise InputError("postprocess: nobody to process")
    infos = list(metadata) if metadata is not None else [None] * len(people)
    masks = list(measured) if measured is not None else [None] * len(people)
    if len(infos) != len(people) or len(masks) != len(people):
        raise InputError("postprocess: one metadata and one measured entry per person")
    shared_focal = focal_length_px
    if shared_focal is None:
        sizes = {tuple(track.image_size) for _, track in people if track is not None}
        if len(sizes) > 1:
            raise InputError(f"postprocess: one camera has one image size, got {sorted(sizes)}")
    motions = [_camera_motion(joints, track, smoothing=smoothing, root_trajectory=root_trajectory,
                              constant_bones=constant_bones, focal_length_px=shared_focal, fps=fps, metadata=info)
               for (joints, track), info in zip(people, infos, strict=True)]
    if not world:
        return motions
    root_relative = any(m.root_relative for m in motions)
    frame = world_frame([m.joints for m in motions], measured=masks, root_relative=root_relative)
    if scale == "floor" and not root_relative and len(motions) > 1:
        factors = floor_scales([m.joints for m in motions], masks, frame.fit.up)
        if any(f != 1.0 for f in factors):
            motions = [dataclasses.replace(m, joints=m.joints * f, metadata={**m.metadata, "floor_scale": f})
                       for m, f in zip(motions, factors, strict=True)]
            frame = world_frame([m.joints for m in motions], measured=masks)
    finished = []
    for motion in motions:
        motion = to_world(motion, up=up, frame=frame)
        motion.contacts = detect_foot_contacts(motion)
        if foot_lock:
            motion = lock_feet(motion, motion.contacts)
        finished.append(motion)
    return finished


def _camera_motion(joints_rel: np.ndarray, track: Track2D | None, *, smoothing: str | dict[str, Any] | None,
                   root_trajectory: bool, constant_bones: bool, focal_length_px: float | None, fps: float | None,
                   metadata: dict[str, Any] | None) -> Motion:
    """One person's camera-frame Motion: constant bones (optional), smoothing, root trajectory."""
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
    return motion


def floor_scales(people: Sequence[np.ndarray], measured: Sequence[np.ndarray | None], up: np.ndarray
                 ) -> list[float]:
    """Per person, the factor (about the camera centre) that puts their feet on the scene's floor: each person's
    own lowest foot level along `up` (camera frame, metres: below the camera is negative) against the geometric
    mean of those of everyone on the floor (the lowest level, within `MAX_FLOOR_SCALE`); 1.0 for people
    standing elsewhere or without a level of their own."""
    own: list[float | None] = []
    for joints, mask in zip(people, measured, strict=True):
        heights = foot_points(joints, mask, up) @ up
        min_points = max(MIN_LEVEL_POINTS, int(np.ceil(MIN_LEVEL_SHARE * len(heights))))
        levels = [h for h in level_heights(heights, LEVEL_BAND, min_points) if h < 0]
        own.append(min(levels) if levels else None)
    known = [h for h in own if h is not None]
    if len(known) < 2:
        return [1.0] * len(people)
    lowest = min(known)
    on_floor = [h is not None and lowest / h <= MAX_FLOOR_SCALE for h in own]
    if sum(on_floor) < 2:
        return [1.0] * len(people)
    reference = -float(np.exp(np.mean([np.log(-h) for h, ok in zip(own, on_floor, strict=True) if ok])))
    return [reference / h if ok else 1.0 for h, ok in zip(own, on_floor, strict=True)]
