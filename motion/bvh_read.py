"""The project's one BVH reader, on the independent `bvhio` parser: joint names, frame rate and world positions.

`read_bvh(path)` checks the file's layout (bvhio itself loops forever on a file cut off before its MOTION
section) and reads it; `BvhFile.world_positions(names, end_sites)` runs bvhio's forward kinematics.
Used by training (`training.data_bvh`: BVH mocap -> H36M-17), by the BVH export tests and benchmarks
(`read_bvh_h36m` reads back what `write_bvh` wrote). End Sites are named '<joint> End Site'.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pstmo.errors import InputError

from .export_bvh import H36M_TO_BVH

END_SITE = " End Site"
"""Suffix of an End Site's name: the End Site under joint "Head" is "Head End Site"."""


def _check_layout(path: Path) -> None:
    """InputError naming `path` unless it has a HIERARCHY, a MOTION section with 'Frames: N' and
    'Frame Time: T', and N x (sum of CHANNELS) motion values."""
    try:
        tokens = path.read_text(encoding="utf-8", errors="replace").split()
    except OSError as exc:
        raise InputError(f"{path}: cannot read BVH file ({exc.strerror or exc})") from None

    def fail(problem: str) -> InputError:
        return InputError(f"{path}: not a valid BVH file ({problem})")

    if not tokens or tokens[0] != "HIERARCHY":
        raise fail("no HIERARCHY")
    if "MOTION" not in tokens:
        raise fail("no MOTION section")
    motion = tokens.index("MOTION")
    header = tokens[motion + 1 : motion + 6]
    if header[:1] != ["Frames:"] or header[2:4] != ["Frame", "Time:"]:
        raise fail("MOTION must begin with 'Frames: N' and 'Frame Time: T'")
    try:
        frames, frame_time = int(header[1]), float(header[4])
        channels = sum(int(tokens[i + 1]) for i in range(motion) if tokens[i] == "CHANNELS")
    except (IndexError, ValueError) as exc:
        raise fail(str(exc)) from None
    values = len(tokens) - (motion + 6)
    if frames < 1 or channels == 0:
        raise fail("no frames")
    if values != frames * channels:
        raise fail(f"motion has {values} values, expected {frames} frames x {channels} channels")
    if not frame_time > 0:
        raise fail(f"frame time {frame_time}")


@dataclass
class BvhFile:
    """A BVH file read by bvhio. `joint_names`: every joint in file order; `end_sites`: the joints that
    have an End Site; `frames`, `frame_time` (seconds)."""

    path: Path
    joint_names: tuple[str, ...]
    end_sites: tuple[str, ...]
    frames: int
    frame_time: float
    _container: Any = field(repr=False)

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    def world_positions(self, names: list[str] | None = None,
                        end_sites: list[str] | None = None) -> dict[str, np.ndarray]:
        """World positions `{name: (T, 3)}` (file units) of the named joints (default: all) and of the End
        Sites under the joints `end_sites` (keyed '<joint> End Site'), by bvhio's forward kinematics."""
        import bvhio
        try:
            from pyglm import glm
        except ImportError:  # older PyGLM
            import glm

        names = list(self.joint_names) if names is None else list(names)
        end_sites = list(end_sites or [])
        unknown = [name for name in names if name not in self.joint_names]
        unknown += [f"{name}{END_SITE}" for name in end_sites if name not in self.end_sites]
        if unknown:
            raise InputError(f"{self.path}: no BVH joint {', '.join(unknown)}")
        # bvhio turns each joint's space by the rotation that takes +Y to its bone (`getRotation`), so an End
        # Site's offset from the file, in bvhio's joint space, is that rotation's inverse applied to it
        end_site_offsets = {joint.Name: glm.inverse(joint.getRotation()) * joint.EndSite
                            for joint, _, _ in self._container.Root.layout() if not joint.Children}
        root = bvhio.convertBvhToHierarchy(self._container.Root)
        joints = {joint.Name: joint for joint, _, _ in root.layout()}
        out = {name: np.zeros((self.frames, 3)) for name in names}
        out.update({f"{name}{END_SITE}": np.zeros((self.frames, 3)) for name in end_sites})
        for frame in range(self.frames):
            root.loadPose(frame)
            for name in names:
                out[name][frame] = tuple(joints[name].PositionWorld)
            for name in end_sites:
                out[f"{name}{END_SITE}"][frame] = tuple(joints[name].pointToWorld(end_site_offsets[name]))
        return out


def read_bvh(path: str | os.PathLike) -> BvhFile:
    """Read a BVH file's hierarchy and motion (InputError naming the file and the problem)."""
    import bvhio

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: BVH file not found")
    _check_layout(path)
    try:
        container = bvhio.readAsBvh(str(path))
    except Exception as exc:  # bvhio raises plain exceptions (SyntaxError, ValueError, ...) for malformed files
        raise InputError(f"{path}: not a valid BVH file ({exc})") from None
    layout = [joint for joint, _, _ in container.Root.layout()]
    return BvhFile(path=path, joint_names=tuple(joint.Name for joint in layout),
                   end_sites=tuple(joint.Name for joint in layout if not joint.Children),
                   frames=int(container.FrameCount), frame_time=float(container.FrameTime), _container=container)


def read_bvh_joint_positions(path: str | os.PathLike, names: list[str] | None = None,
                             end_sites: list[str] | None = None) -> tuple[dict[str, np.ndarray], float]:
    """World positions `{name: (T, 3)}` (file units) of the named joints and End Sites (see
    `BvhFile.world_positions`), and the frame time in seconds."""
    bvh = read_bvh(path)
    return bvh.world_positions(names, end_sites), bvh.frame_time


def read_bvh_h36m(path: str | os.PathLike) -> tuple[np.ndarray, float]:
    """A BVH written by `write_bvh` -> `(T, 17, 3)` H36M joints (file units, Y up) and fps, via bvhio."""
    names = [name for name in H36M_TO_BVH.values() if not name.endswith(END_SITE)]
    positions, frame_time = read_bvh_joint_positions(path, names=names, end_sites=["Head"])
    joints = np.stack([positions[H36M_TO_BVH[index]] for index in range(17)], axis=1)
    return joints, 1.0 / frame_time
