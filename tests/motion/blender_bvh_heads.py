"""Run inside Blender: `blender -b --python blender_bvh_heads.py -- IN.bvh OUT.json`.

Imports the BVH with Blender's own importer and writes each bone's head position (world, Blender's Z-up axes)
for every frame. Blender 3.4's importer opens files with mode 'rU', which its Python 3.11 rejects, so `open`
is wrapped to drop the 'U'.
"""

import builtins
import json
import sys

import bpy

_open = builtins.open


def _open_without_u(file, mode="r", *args, **kwargs):
    return _open(file, mode.replace("U", ""), *args, **kwargs)


builtins.open = _open_without_u
source, target = sys.argv[sys.argv.index("--") + 1:][:2]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_anim.bvh(filepath=source, global_scale=1.0, rotate_mode="NATIVE", use_fps_scale=False)
armature = next(obj for obj in bpy.context.scene.objects if obj.type == "ARMATURE")
start, end = (int(v) for v in armature.animation_data.action.frame_range)
heads = {bone.name: [] for bone in armature.pose.bones}
for frame in range(start, end + 1):
    bpy.context.scene.frame_set(frame)
    for bone in armature.pose.bones:
        heads[bone.name].append(list(armature.matrix_world @ bone.head))
with _open(target, "w") as file:
    json.dump({"frames": end - start + 1, "heads": heads}, file)
