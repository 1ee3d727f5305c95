"""Read a BVH back to H36M-17 positions with the independent `bvhio` parser (verification and re-import)."""

from __future__ import annotations

import os

import numpy as np

from pstmo.errors import InputError

from .export_bvh import H36M_TO_BVH


def read_bvh_joint_positions(path: str | os.PathLike, names: list[str] | None = None,
                             end_sites: list[str] | None = None) -> tuple[dict[str, np.ndarray], float]:
    """World positions `{name: (T, 3)}` (file units) of the named joints and of the End Sites of `end_sites`
    (keyed '<joint> End Site'), computed by bvhio's forward kinematics; and the frame time in seconds."""
    import bvhio
    try:
        from pyglm import glm
    except ImportError:  # older PyGLM
        import glm

    try:
        container = bvhio.readAsBvh(str(path))
    except Exception as exc:  # bvhio raises plain exceptions for malformed files
        raise InputError(f"{path}: not a readable BVH file ({exc})") from exc
    end_site_lengths = {joint.Name: float(glm.length(joint.EndSite)) for joint, _, _ in container.Root.layout()
                        if joint.EndSite is not None}
    root = bvhio.convertBvhToHierarchy(container.Root)
    joints = {joint.Name: joint for joint, _, _ in root.layout()}
    names = list(joints) if names is None else names
    end_sites = end_sites or []
    out = {name: np.zeros((container.FrameCount, 3)) for name in names}
    out.update({f"{name} End Site": np.zeros((container.FrameCount, 3)) for name in end_sites})
    for frame in range(container.FrameCount):
        root.loadPose(frame)
        for name in names:
            out[name][frame] = tuple(joints[name].PositionWorld)
        for name in end_sites:  # bvhio's joint space has +Y along the bone towards its tip
            tip = joints[name].pointToWorld(glm.vec3(0.0, end_site_lengths[name], 0.0))
            out[f"{name} End Site"][frame] = tuple(tip)
    return out, float(container.FrameTime)


def read_bvh_h36m(path: str | os.PathLike) -> tuple[np.ndarray, float]:
    """A BVH written by `write_bvh` -> `(T, 17, 3)` H36M joints (file units, Y up) and fps, via bvhio."""
    names = [name for name in H36M_TO_BVH.values() if not name.endswith("End Site")]
    positions, frame_time = read_bvh_joint_positions(path, names=names, end_sites=["Head"])
    joints = np.stack([positions[H36M_TO_BVH[index]] for index in range(17)], axis=1)
    return joints, 1.0 / frame_time
