"""Calibrated conversion of detector keypoints to H36M-17's joint definitions.

A detector's hips, shoulders and nose are not where Human3.6M's motion-capture skeleton puts its pelvis,
hips, spine, thorax and head. The lifter is trained on H36M's definitions, so the conversion moves those
joints to where H36M would place them, as linear combinations of the detected points (which stay valid
under projection, so the same formulas work in 2D pixels and in 3D).

Assumption: shoulders, knees and nose mean the same point in both definitions; hips do not.
Evidence (not the four H36M test frames): `python benchmarks/derive_calibration.py` measures (medians)
- H36M 3D proportions on subjects S6, S9, S11 (19,465 poses, every 10th frame; the test frames are of
  S1, S5, S7, S8), along the torso axis (L = mid-hips to mid-shoulders): pelvis = mid-hips exactly;
  thorax 0.116 L above mid-shoulders; spine 0.563 L above mid-hips; head 0.240 L above the nose;
  thigh / L = 1.052; hip width / shoulder width = 0.859;
- BlazePose's own 3D world landmarks on the two sample videos (99 frames with hips, shoulders and knees
  all seen at visibility >= 0.8): thigh / L = 0.796; hip width / shoulder width = 0.676.
BlazePose's thighs are short and its hips narrow compared with H36M, i.e. its hip landmarks sit lower
and closer together. Raising both hips by `HIP_RAISE` of the detected torso vector makes thigh/torso
match H36M ((0.796 + d) / (1 - d) = 1.052 -> d = 0.125, thighs taken along the torso axis), and
widening them by `HIP_WIDEN` makes hip/shoulder width match (0.859 / 0.676 = 1.271). Thorax, spine
and head are then placed with H36M's proportions measured from the calibrated pelvis.
"""

from __future__ import annotations

import numpy as np

# BlazePose-33 -> H36M (derived above).
HIP_RAISE = 0.125
"""Hips move up by this fraction of the (mid-hips -> mid-shoulders) vector."""
HIP_WIDEN = 1.271
"""Hip width is scaled by this factor about the mid-hips point."""
# H36M proportions (valid for any detector whose shoulders and nose are anatomical).
THORAX_ABOVE_SHOULDERS = 0.116
"""Thorax = mid-shoulders + this fraction of the (pelvis -> mid-shoulders) vector."""
SPINE_ABOVE_PELVIS = 0.563
"""Spine = pelvis + this fraction of the (pelvis -> mid-shoulders) vector."""
HEAD_ABOVE_NOSE = 0.240
"""Head = nose + this fraction of the (pelvis -> mid-shoulders) vector."""

_HIP_CALIBRATION = {"blazepose33": (HIP_RAISE, HIP_WIDEN)}
"""Per-layout hip calibration (raise, widen); layouts not listed keep their hips (COCO-trained models
label hips close to H36M's; no evidence here to move them)."""

# H36M indices.
_PELVIS, _RHIP, _LHIP, _SPINE, _THORAX, _NOSE, _HEAD, _LSHOULDER, _RSHOULDER = 0, 1, 4, 7, 8, 9, 10, 11, 14


def calibrate_h36m(keypoints: np.ndarray, coco: np.ndarray | None = None, layout: str = "blazepose33") -> np.ndarray:
    """Move pelvis, hips, spine, thorax and head of a plainly converted H36M-17 pose to H36M's definitions.

    keypoints: (..., 17, C) from `pstmo.skeleton.*_to_h36m` (pixels or metres, C = 2 or 3).
    coco: unused hook for layouts that need their COCO points (kept for backends that add face points).
    Returns a new (..., 17, C) array; the limbs, shoulders and nose are unchanged.
    """
    del coco
    out = np.array(keypoints, dtype=np.float32, copy=True)
    mid_shoulder = (out[..., _LSHOULDER, :] + out[..., _RSHOULDER, :]) / 2
    raise_by, widen_by = _HIP_CALIBRATION.get(layout, (0.0, 1.0))
    mid_hip = (out[..., _LHIP, :] + out[..., _RHIP, :]) / 2
    torso = mid_shoulder - mid_hip
    for hip in (_LHIP, _RHIP):
        out[..., hip, :] = mid_hip + widen_by * (out[..., hip, :] - mid_hip) + raise_by * torso
    pelvis = mid_hip + raise_by * torso
    torso = mid_shoulder - pelvis
    out[..., _PELVIS, :] = pelvis
    out[..., _SPINE, :] = pelvis + SPINE_ABOVE_PELVIS * torso
    out[..., _THORAX, :] = mid_shoulder + THORAX_ABOVE_SHOULDERS * torso
    out[..., _HEAD, :] = out[..., _NOSE, :] + HEAD_ABOVE_NOSE * torso
    return out
