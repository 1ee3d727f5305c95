"""Test clips made from the two BSD-3 videos in `../shared/media` (nothing downloaded, nothing committed).

    .venv/bin/python benchmarks/clips.py OUT_FOLDER        # writes the three clips as mp4v files

- `one_person`: 1280x720, 50 fps, 600 frames. The pose2sim clip (portrait 1080x1920, one person walking on a
  force plate) scaled to 720 px high in the middle of the frame, over a background of each row's mean
  colour (no second figure), played forwards and backwards to last 12 s. The small background person is
  painted out (blurred: the first 800 rows of the leftmost 230 columns, in source pixels) so exactly one
  person is in view.
- `crowded`: 1280x720, 30 fps, 300 frames. Left half: the sports2d demo (two people) twice, in two 640x360
  cells, 100 frames apart, the lower one mirrored; right half: the pose2sim clip (its person and the small
  background person) 720 px high. Six people at once: one large (about 650 px high, the one MediaPipe Pose
  alone follows) and five of 100-250 px, as in street footage. Sources are played forwards and backwards so
  they never run out.
- `exit`: the `one_person` picture, 50 fps, 500 frames; from frame 150 the person's panel slides out of the
  right edge of the frame (40 frames), stays out for 2 s (100 frames), and slides back (40 frames): the
  person leaves and comes back.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO.parent / "shared" / "media"
SIZE = (1280, 720)


def _read(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    if not frames:
        raise SystemExit(f"{path}: no frames (is ../shared/media there?)")
    return frames


def _ping_pong(count: int, index: int) -> int:
    """Frame `index` of a clip of `count` frames played forwards, backwards, forwards, ..."""
    period = 2 * (count - 1)
    phase = index % period
    return phase if phase < count else period - phase


def _portrait_panel(image: np.ndarray, height: int, paint_out_background: bool) -> np.ndarray:
    if paint_out_background:
        image = image.copy()
        image[:800, :230] = cv2.blur(image[:800, :230], (301, 301))
    width = round(image.shape[1] * height / image.shape[0])
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def _on_background(panel: np.ndarray, size: tuple[int, int], x: int) -> np.ndarray:
    """`panel` at column `x` (may be partly or wholly outside) over its rows' mean colours filling `size`."""
    width, height = size
    rows = cv2.resize(panel, (1, height), interpolation=cv2.INTER_AREA)
    background = np.ascontiguousarray(np.repeat(rows, width, axis=1))
    ph, pw = panel.shape[:2]
    x1, x2 = max(x, 0), min(x + pw, width)
    if x2 > x1:
        background[:ph, x1:x2] = panel[:, x1 - x:x2 - x]
    return background


def one_person(frames: int = 600) -> Iterator[np.ndarray]:
    source = _read(MEDIA / "pose2sim_cam01.mp4")
    for n in range(frames):
        panel = _portrait_panel(source[_ping_pong(len(source), n)], SIZE[1], True)
        yield _on_background(panel, SIZE, (SIZE[0] - panel.shape[1]) // 2)


def exit_and_return(frames: int = 500, leave: int = 150, slide: int = 40, away: int = 100) -> Iterator[np.ndarray]:
    source = _read(MEDIA / "pose2sim_cam01.mp4")
    for n in range(frames):
        panel = _portrait_panel(source[_ping_pong(len(source), n)], SIZE[1], True)
        home = (SIZE[0] - panel.shape[1]) // 2
        gone = SIZE[0] + 10
        t = n - leave
        if t < 0 or t >= 2 * slide + away:
            x = home
        elif t < slide:
            x = round(home + (gone - home) * t / slide)
        elif t < slide + away:
            x = gone
        else:
            x = round(gone + (home - gone) * (t - slide - away) / slide)
        yield _on_background(panel, SIZE, x)


def crowded(frames: int = 300) -> Iterator[np.ndarray]:
    sports = _read(MEDIA / "sports2d_demo.mp4")
    pose2sim = _read(MEDIA / "pose2sim_cam01.mp4")
    cell = (SIZE[0] // 2, SIZE[1] // 2)
    for n in range(frames):
        a = cv2.resize(sports[_ping_pong(len(sports), n)], cell, interpolation=cv2.INTER_AREA)
        b = cv2.resize(sports[_ping_pong(len(sports), n + 100)], cell, interpolation=cv2.INTER_AREA)[:, ::-1]
        panel = _portrait_panel(pose2sim[_ping_pong(len(pose2sim), 2 * n)], SIZE[1], False)
        right = _on_background(panel, (SIZE[0] - cell[0], SIZE[1]), (SIZE[0] - cell[0] - panel.shape[1]) // 2)
        yield np.hstack([np.vstack([a, b]), right])


CLIPS = {"one_person": (one_person, 50.0), "crowded": (crowded, 30.0), "exit": (exit_and_return, 50.0)}
"""name -> (frame generator, fps)."""


def write(name: str, folder: Path) -> Path:
    """Writes clip `name` to `folder/<name>_720p.mp4` (mp4v), unless it is already there."""
    make, fps = CLIPS[name]
    path = Path(folder) / f"{name}_720p.mp4"
    if path.is_file() and path.stat().st_size > 0:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, SIZE)
    for image in make():
        writer.write(np.ascontiguousarray(image))
    writer.release()
    tmp.replace(path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--clips", default=",".join(CLIPS))
    args = parser.parse_args()
    for name in args.clips.split(","):
        print(write(name, args.folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
