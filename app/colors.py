"""Colours shared by the 2D overlay and the 3D view: left side blue, right side orange-red, centre light."""

from __future__ import annotations

from pstmo.skeleton import H36M_BONES, bone_side

LEFT_RGB = (40, 140, 255)
RIGHT_RGB = (255, 80, 40)
CENTRE_RGB = (235, 235, 235)
SIDE_RGB = {"left": LEFT_RGB, "right": RIGHT_RGB, "centre": CENTRE_RGB}
TRAIL_RGB = (255, 210, 0)


def bone_rgb(child: int) -> tuple[int, int, int]:
    """RGB (0-255) of the bone ending at joint `child`."""
    return SIDE_RGB[bone_side(child)]


def bone_colors_float() -> list[tuple[float, float, float, float]]:
    """RGBA in [0, 1] for each of the 16 `H36M_BONES`, in order."""
    return [tuple(c / 255 for c in bone_rgb(child)) + (1.0,) for _, child in H36M_BONES]


PERSON_RGB = [(255, 200, 0), (0, 220, 160), (220, 100, 255), (255, 120, 170), (120, 220, 255), (180, 255, 80)]


def person_rgb(person_id: int) -> tuple[int, int, int]:
    """A stable label colour per tracker id."""
    return PERSON_RGB[int(person_id) % len(PERSON_RGB)]
