"""Blender, the real client, imports our BVH and poses its bones where our joints are (skipped without Blender)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from motion import Motion, export
from motion.bones import set_bone_lengths, symmetric_bone_lengths
from motion.export_bvh import H36M_TO_BVH, to_y_up

BLENDER = shutil.which("blender")


@pytest.mark.slow
@pytest.mark.skipif(BLENDER is None, reason="blender is not installed (apt-get install blender)")
def test_blender_imports_our_bvh_with_bone_heads_on_our_joints(h36m_3d, tmp_path):
    motion = Motion(h36m_3d["S9"]["Walking"][:100:5], fps=10.0, frame="world_z_up", root_relative=False)
    export(motion, tmp_path / "walk.bvh")
    script = Path(__file__).with_name("blender_bvh_heads.py")
    result = subprocess.run([BLENDER, "-b", "--factory-startup", "--python", str(script), "--",
                             str(tmp_path / "walk.bvh"), str(tmp_path / "heads.json")],
                            capture_output=True, text=True, timeout=90)
    assert (tmp_path / "heads.json").is_file(), result.stdout[-2000:] + result.stderr[-2000:]
    heads = json.loads((tmp_path / "heads.json").read_text())
    assert heads["frames"] == len(motion)
    ours = to_y_up(motion)
    ours = set_bone_lengths(ours, symmetric_bone_lengths(ours))
    ours_in_blender = np.stack([ours[..., 0], -ours[..., 2], ours[..., 1]], axis=-1)  # BVH Y-up -> Blender Z-up
    for joint, name in H36M_TO_BVH.items():
        if name.endswith("End Site"):
            continue
        blender = np.array(heads["heads"][name])
        assert np.abs(blender - ours_in_blender[:, joint]).max() < 1e-3, name
