"""Camera frame -> world frame with Y (or Z) up and the floor at the feet, for one person or several.

One camera means one world: `world_frame(people)` finds one up direction and one floor from the feet of
everyone in view, and `to_world(motion, frame=...)` applies it to each person, so that their relative
positions survive. `to_world(motion)` alone does both for one person.

Up direction and floor (`fit_floor`), from the lower ankle of every measured frame of every person
(camera frame, root trajectory included):
1. Candidate up directions: the camera's up (-y: a level camera) and the normals of planes through random
   triples of points (RANSAC), each within `MAX_TILT_DEGREES` of the camera's up.
2. Each candidate is scored by how many points lie within `LEVEL_BAND` of a *level*: a height (along the
   candidate) shared by at least `MIN_LEVEL_SHARE` of the points. Several parallel levels may share one up
   direction: the ground and the top of a wall someone stands on. The best-scoring candidate wins; among
   near-ties the one closest to the camera's up (two walkers on parallel lines at different heights fit a
   tilted plane as well as two levels: the data cannot tell them apart, a level camera is more likely).
3. Refinement: the points of every level, each level centred on its own height, are fitted together; when they
   cover an area (`PLANE_MIN_SPREAD`) their plane's normal is the up direction; when they only follow a line
   (`LINE_MIN_SPREAD`), the camera's up made perpendicular to that line; else the camera's up.
4. The floor is the lowest level, `ANKLE_HEIGHT` below its median ankle height (a person on a wall stands on
   the level above it). Without a level (too few points, everyone jumping), a low percentile of the ankle
   heights (`FLOOR_PERCENTILE`).

Horizontal origin: the root of the first person at their first frame. X stays the camera's right.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pstmo.errors import InputError

from .motion import Motion
from .rotations import normalize

ANKLE_HEIGHT = 0.05
"""Metres between the floor and the ankle joint of a standing person (H36M's median is about 5 cm)."""
FLOOR_PERCENTILE = 25.0
"""Without a supported level: percentile of the lower ankle's height taken as standing height."""
LEVEL_BAND = 0.05
"""Metres: a point belongs to a level when its height is within this of the level's height."""
MIN_LEVEL_SHARE = 0.15
MIN_LEVEL_POINTS = 8
"""A level needs at least this share of the points, and this many points."""
MAX_LEVELS = 3
MIN_LEVEL_GAP = 0.25
"""Metres between two levels (a step or a wall; nearer heights are one level, spread by noise)."""
REFINE_STEPS = 5
PLANE_MIN_SPREAD = 0.15
"""Metres (standard deviation) the feet must cover in both floor directions for a plane fit."""
LINE_MIN_SPREAD = 0.3
"""Metres (standard deviation) along one direction for the walking line to constrain the up direction."""
MAX_TILT_DEGREES = 45.0
"""Up directions further than this from the camera's up are not considered (a bad fit)."""
RANSAC_SAMPLES = 300
MAX_SCORED_POINTS = 2000
"""Candidates are scored on at most this many points (a random subset of a long video's)."""
TIE_SHARE = 0.03
"""Candidates explaining at most this share of the points fewer than the best count as ties (closest to the
camera's up wins)."""

CAMERA_UP = np.array([0.0, -1.0, 0.0])
_ANKLES = (3, 6)


@dataclass
class FloorFit:
    """Result of `fit_floor`: unit `up` (camera frame), `floor` height along it (metres, the floor plane is
    `X . up = floor`), the supported `levels` (heights of the ankles' levels, lowest first), how the up
    direction was found (`method`: "plane", "line" or "camera") and the share of points on a level."""

    up: np.ndarray
    floor: float
    levels: list[float] = field(default_factory=list)
    method: str = "camera"
    on_levels: float = 0.0


@dataclass
class WorldFrame:
    """One camera's world frame (Y up): `X_world = rotation @ X_camera + translation`, floor at Y = 0."""

    rotation: np.ndarray
    translation: np.ndarray
    fit: FloorFit

    def apply(self, joints_camera: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame metres -> the Y-up world."""
        return np.asarray(joints_camera) @ self.rotation.T + self.translation

    def to_dict(self) -> dict:
        """What `metadata["world_frame"]` records: the floor fit and its levels (world heights, metres)."""
        floor = self.fit.floor
        return {"method": self.fit.method, "levels_m": [round(float(h - floor), 4) for h in self.fit.levels],
                "points_on_levels": round(float(self.fit.on_levels), 3)}


def foot_points(joints_camera: np.ndarray, frames: np.ndarray | None = None, up: np.ndarray = CAMERA_UP
                ) -> np.ndarray:
    """(N, 3) the lower ankle (along `up`) of each finite frame of `(T, 17, 3)` camera-frame joints; `frames`
    (T,) bool picks the frames to use (e.g. the measured ones)."""
    joints = np.asarray(joints_camera, dtype=np.float64)
    if frames is not None:
        joints = joints[np.asarray(frames, dtype=bool)]
    ankles = joints[:, list(_ANKLES)]
    ankles = ankles[np.isfinite(ankles).all(axis=(1, 2))]
    lower = np.argmin(ankles @ up, axis=1)
    return ankles[np.arange(len(ankles)), lower]


def _levels(heights: np.ndarray, band: float, min_points: int) -> tuple[list[float], np.ndarray]:
    """Supported levels in `heights` (N,): [level heights], (N,) bool on a level. Greedy: the densest window of
    +-band, its points taken, again, up to `MAX_LEVELS` levels at least `MIN_LEVEL_GAP` apart (points between a
    level's band and its gap belong to no level)."""
    on_level = np.zeros(len(heights), dtype=bool)
    taken = np.zeros(len(heights), dtype=bool)
    levels: list[float] = []
    for _ in range(MAX_LEVELS):
        free = np.flatnonzero(~taken)
        if len(free) < min_points:
            break
        values = np.sort(heights[free])
        counts = np.searchsorted(values, values + 2 * band, side="right") - np.arange(len(values))
        start = int(np.argmax(counts))
        if counts[start] < min_points:
            break
        centre = float(np.median(values[start:start + counts[start]]))
        members = free[np.abs(heights[free] - centre) <= band]
        if len(members) < min_points:
            break
        level = float(np.median(heights[members]))
        taken |= np.abs(heights - level) < MIN_LEVEL_GAP
        if any(abs(level - other) < MIN_LEVEL_GAP for other in levels):
            continue  # the edge of a level found before, not a level of its own
        levels.append(level)
        on_level[members] = True
    return levels, on_level


def level_heights(heights: np.ndarray, band: float = LEVEL_BAND, min_points: int = MIN_LEVEL_POINTS) -> list[float]:
    """The supported levels of `heights` (N,) metres, in the order found (best supported first)."""
    return _levels(np.asarray(heights, dtype=np.float64), band, min_points)[0]


def _tilt_ok(normal: np.ndarray, prior: np.ndarray) -> bool:
    return float(normal @ prior) >= np.cos(np.radians(MAX_TILT_DEGREES))


def _min_points(count: int) -> int:
    """Points a level needs among `count` points."""
    return max(MIN_LEVEL_POINTS, int(np.ceil(MIN_LEVEL_SHARE * count)))


def _group_levels(heights: np.ndarray, groups: np.ndarray, band: float) -> tuple[list[list[float]], np.ndarray]:
    """Each group's (person's) own levels in `heights` (N,): [[levels] per group], (N,) bool on a level."""
    on_level = np.zeros(len(heights), dtype=bool)
    per_group = []
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        levels, on_group = _levels(heights[members], band, _min_points(len(members)))
        on_level[members] = on_group
        per_group.append(levels)
    return per_group, on_level


def _refine(points: np.ndarray, groups: np.ndarray, up: np.ndarray, prior: np.ndarray, band: float
            ) -> tuple[np.ndarray, str]:
    """`_refine_once` until the up direction settles (each step takes the levels' points anew)."""
    method = "camera"
    for _ in range(REFINE_STEPS):
        new_up, method = _refine_once(points, groups, up, prior, band)
        settled = float(new_up @ up) > np.cos(np.radians(0.01))
        up = new_up
        if settled:
            break
    return up, method


def _refine_once(points: np.ndarray, groups: np.ndarray, up: np.ndarray, prior: np.ndarray, band: float
                 ) -> tuple[np.ndarray, str]:
    """The up direction from the levels' points along `up` (each person's each level centred on its own height):
    a plane, a line or the prior (see the module docstring)."""
    heights = points @ up
    centred = []
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        levels, on_level = _levels(heights[members], band, _min_points(len(members)))
        if not levels:
            continue
        nearest = np.argmin(np.abs(heights[members, None] - np.array(levels)[None]), axis=1)
        for n in range(len(levels)):
            chosen = points[members[on_level & (nearest == n)]]
            if len(chosen):
                centred.append(chosen - chosen.mean(axis=0))
    if not centred:
        return up, "camera"
    stacked = np.concatenate(centred)
    _, singular, axes = np.linalg.svd(stacked, full_matrices=False)
    spread = singular / np.sqrt(len(stacked))
    if spread[1] > PLANE_MIN_SPREAD:
        normal = axes[2] * np.sign(axes[2] @ prior or 1.0)
        if _tilt_ok(normal, prior):
            return normal, "plane"
    if spread[0] > LINE_MIN_SPREAD:
        line = axes[0]
        return normalize(prior - (prior @ line) * line), "line"
    return prior, "camera"


def _candidates(points: np.ndarray, groups: np.ndarray, prior: np.ndarray, rng: np.random.Generator
                ) -> list[np.ndarray]:
    """The prior and the normals of planes through random triples of one person's points (people may stand at
    wrongly guessed distances, so a plane through several people's feet means little), within the tilt limit."""
    candidates = [prior]
    labels, counts = np.unique(groups, return_counts=True)
    for group, count in zip(labels, counts, strict=True):
        members = np.flatnonzero(groups == group)
        samples = int(np.ceil(RANSAC_SAMPLES * count / len(points)))
        triples = members[rng.integers(0, len(members), size=(samples, 3))]
        a, b, c = points[triples[:, 0]], points[triples[:, 1]], points[triples[:, 2]]
        normals = np.cross(b - a, c - a)
        area = np.linalg.norm(normals, axis=1)
        normals = normals[area > 1e-4] / area[area > 1e-4, None]
        normals *= np.sign(normals @ prior)[:, None]
        candidates += [n for n in normals if _tilt_ok(n, prior)]
    return candidates


def fit_floor(points: np.ndarray, prior: np.ndarray = CAMERA_UP, band: float = LEVEL_BAND, seed: int = 0,
              groups: np.ndarray | None = None) -> FloorFit:
    """Up direction and floor from (N, 3) camera-frame ankle points (`foot_points` of one person, or of several
    stacked with `groups` (N,) saying whose each point is); see the module docstring. `prior`: the up direction
    without evidence (the camera's up)."""
    points = np.asarray(points, dtype=np.float64)
    groups = np.zeros(len(points), dtype=np.int64) if groups is None else np.asarray(groups)
    finite = np.isfinite(points).all(axis=1)
    points, groups = points[finite], groups[finite]
    prior = normalize(np.asarray(prior, dtype=np.float64))
    if len(points) == 0:
        return FloorFit(prior, 0.0)
    if len(points) < max(3, _min_points(len(points))):
        return FloorFit(prior, float(np.percentile(points @ prior, FLOOR_PERCENTILE)) - ANKLE_HEIGHT)
    rng = np.random.default_rng(seed)
    candidates = _candidates(points, groups, prior, rng)
    scored = np.arange(len(points))
    if len(points) > MAX_SCORED_POINTS:
        scored = np.sort(rng.choice(len(points), MAX_SCORED_POINTS, replace=False))
    scores = np.array([_group_levels(points[scored] @ n, groups[scored], band)[1].sum() for n in candidates])
    tied = np.flatnonzero(scores >= scores.max() - TIE_SHARE * len(scored))
    closest = tied[np.argmax([candidates[i] @ prior for i in tied])]
    up, method = _refine(points, groups, candidates[closest], prior, band)
    heights = points @ up
    levels, on_level = _levels(heights, band, _min_points(len(points)))
    levels = sorted(levels)
    if levels:
        floor = levels[0] - ANKLE_HEIGHT
    else:
        floor = float(np.percentile(heights, FLOOR_PERCENTILE)) - ANKLE_HEIGHT
    return FloorFit(up, float(floor), [float(h) for h in levels], method, float(on_level.mean()))


def estimate_up(joints_camera: np.ndarray, root_relative: bool) -> np.ndarray:
    """(3,) unit up direction in the camera frame from `(T, 17, 3)` camera-frame joints (y down)."""
    if root_relative or len(joints_camera) < 3:
        return CAMERA_UP.copy()
    return fit_floor(foot_points(joints_camera)).up


def _first_root(joints_camera: np.ndarray) -> np.ndarray:
    finite = np.isfinite(joints_camera[:, 0]).all(axis=1)
    if not finite.any():
        raise InputError("world frame: the motion has no finite frame")
    return joints_camera[np.argmax(finite), 0]


def world_frame(people: Sequence[np.ndarray], measured: Sequence[np.ndarray | None] | None = None,
                root_relative: bool = False) -> WorldFrame:
    """One world frame (Y up, floor at 0) for everyone seen by one camera.

    people: `(T_i, 17, 3)` camera-frame joints (root trajectory included) of each person; the first person's
        root at their first finite frame becomes the horizontal origin.
    measured: per person, (T_i,) bool of the frames to take the feet from (None: every frame).
    root_relative: the joints have no trajectory: the camera's up, floor under the lowest ankle.
    """
    if not len(people):
        raise InputError("world frame: nobody to place")
    arrays = [np.asarray(joints, dtype=np.float64) for joints in people]
    masks = list(measured) if measured is not None else [None] * len(arrays)
    if root_relative:
        points = np.concatenate([foot_points(j, m) for j, m in zip(arrays, masks, strict=True)])
        floor = float(np.percentile(points @ CAMERA_UP, FLOOR_PERCENTILE)) - ANKLE_HEIGHT if len(points) else 0.0
        fit = FloorFit(CAMERA_UP.copy(), floor)
    else:
        feet = [foot_points(j, m) for j, m in zip(arrays, masks, strict=True)]
        groups = np.concatenate([np.full(len(f), n) for n, f in enumerate(feet)])
        fit = fit_floor(np.concatenate(feet), groups=groups)
        # Which ankle is lower depends on the up direction: take the points again along the fitted one.
        points = np.concatenate([foot_points(j, m, fit.up) for j, m in zip(arrays, masks, strict=True)])
        fit = dataclasses.replace(fit, floor=_floor_along(points, fit))
    up = fit.up
    right = normalize(np.array([1.0, 0.0, 0.0]) - up[0] * up)
    rotation = np.stack([right, up, np.cross(right, up)])  # rows: X, Y, Z of the Y-up world
    root = rotation @ _first_root(arrays[0])
    translation = -np.array([root[0], fit.floor, root[2]])
    return WorldFrame(rotation, translation, fit)


def _floor_along(points: np.ndarray, fit: FloorFit) -> float:
    """The floor height of `fit` measured again on `points` (the lower ankles along the fitted up)."""
    heights = points @ fit.up
    levels, _ = _levels(heights, LEVEL_BAND, _min_points(len(heights)))
    if levels:
        return min(levels) - ANKLE_HEIGHT
    return float(np.percentile(heights, FLOOR_PERCENTILE)) - ANKLE_HEIGHT if len(heights) else fit.floor


def _axes_to_frame(frame: str) -> np.ndarray:
    """Rows: world axes expressed in a Y-up basis (X right, Y up, Z towards the camera)."""
    if frame == "world_z_up":
        return np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # (x, y, z)_yup -> (x, -z, y)
    return np.eye(3)


def to_world(motion: Motion, up: str = "y", frame: WorldFrame | None = None) -> Motion:
    """The motion in a world frame: `up` "y" (Y up) or "z" (Z up), floor at 0, root of frame 0 at the origin.

    Works from the camera frame or from either world frame. `frame`: a camera-frame motion is placed in this
    world frame (`world_frame`, shared by everyone in one video) instead of one estimated from it alone. The
    camera-to-world rotation and translation go into `metadata["camera_to_world"]` (`X_world = R @ X_camera +
    t`) when the input was camera-frame. Root-relative input stays without a trajectory: the pelvis stays above
    the origin.
    """
    if up not in ("y", "z"):
        raise InputError(f"up must be 'y' or 'z', got {up!r}")
    target = "world_y_up" if up == "y" else "world_z_up"
    joints = motion.joints
    metadata = dict(motion.metadata)
    if not np.isfinite(joints).all(axis=(1, 2)).any():
        raise InputError("to_world: the motion has no finite frame")
    axes = _axes_to_frame(target)
    if motion.frame == "camera":
        if frame is None:
            frame = world_frame([joints], root_relative=motion.root_relative)
        y_up = frame.apply(joints)
        metadata["camera_to_world"] = {"R": (axes @ frame.rotation).tolist(), "t": (axes @ frame.translation).tolist()}
        metadata["world_frame"] = frame.to_dict()
    else:
        if frame is not None:
            raise InputError("to_world: a world frame can only be applied to a camera-frame motion")
        # Already a world frame (maybe shared with other people): only the axes change.
        rotation = np.array([[1.0, 0, 0], [0, 0, 1.0], [0, -1.0, 0]]) if motion.frame == "world_z_up" else np.eye(3)
        y_up = joints @ rotation.T
    world = y_up @ axes.T
    metadata.setdefault("root_trajectory", "none" if motion.root_relative else "included")
    return dataclasses.replace(motion, joints=world, frame=target, root_relative=False, metadata=metadata)


def up_axis(motion: Motion) -> int:
    """Index of the up axis of a world-frame motion (1 for Y up, 2 for Z up)."""
    if motion.frame == "world_y_up":
        return 1
    if motion.frame == "world_z_up":
        return 2
    raise InputError(f"this step needs a world-frame motion (run to_world first); got frame {motion.frame!r}")
