"""Several people from one video: each lifted person's part of a `PipelineResult` (`PersonResult`), the frames
they were seen in, and the names of their output files.

With `--person all` every person seen long enough (`detectors.tracker.lifted_people`) is lifted over the frames
from their first to their last detection (their *span*): nothing is made up before they come into view or after
they leave. Inside the span, frames where they were not detected are held from the nearest detection (as for one
person) and listed as missing. The main person (the one `main` would choose) is processed over the whole video,
as in a single-person run, so the timeline and the single-person views keep their meaning; their exports are cut
to their span like everyone else's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from motion.motion import Motion
from tracks.track import Track2D


def seen_span(missing: np.ndarray) -> tuple[int, int]:
    """(first, stop): the frames from the first to the last one not `missing` ((T,) bool); (0, 0) if none."""
    seen = np.flatnonzero(~np.asarray(missing, dtype=bool))
    return (int(seen[0]), int(seen[-1]) + 1) if len(seen) else (0, 0)


def slice_track(track: Track2D, first: int, stop: int) -> Track2D:
    """`track` cut to frames [first, stop): arrays (and the per-frame arrays of `extra`) sliced, `long_gaps`
    shifted, `extra["first_frame"]` = `first` (plus any earlier offset)."""
    count = len(track)
    extra = {}
    for key, value in track.extra.items():
        if isinstance(value, np.ndarray) and value.ndim and len(value) == count:
            extra[key] = value[first:stop]
        elif key == "long_gaps":
            extra[key] = [(max(a, first) - first, min(b, stop - 1) - first)
                          for a, b in value if b >= first and a < stop]
        else:
            extra[key] = value
    extra["first_frame"] = int(track.extra.get("first_frame", 0)) + first
    return dataclasses.replace(track, keypoints=track.keypoints[first:stop], confidence=track.confidence[first:stop],
                               interpolated=np.asarray(track.interpolated)[first:stop], extra=extra)


@dataclass
class PersonResult:
    """One lifted person of a `PipelineResult`.

    person_id: tracker id (as drawn on the video, `#0`).
    first_frame: the video frame of index 0 of the arrays below (0 for the main person: the whole video).
    track: their `Track2D` over those frames ((n, 17, 2) pixels, NaN where missing).
    joints: (n, 17, 3) metres, root-relative, camera frame (the lifter's output).
    missing: (n,) bool, frames without a detection (held from the nearest detected frame before lifting).
    motion: their `Motion` in the world frame they share with everyone else in the video.
    """

    person_id: int | None
    first_frame: int
    track: Track2D
    joints: np.ndarray
    missing: np.ndarray
    motion: Motion

    def __len__(self) -> int:
        return len(self.joints)

    def index(self, frame: int) -> int | None:
        """Index into this person's arrays of video frame `frame`; None outside their frames."""
        n = int(frame) - self.first_frame
        return n if 0 <= n < len(self) else None

    def seen(self, frame: int) -> bool:
        """Whether they were detected (or their short gap interpolated) at video frame `frame`."""
        n = self.index(frame)
        return n is not None and not bool(self.missing[n])

    @property
    def span(self) -> tuple[int, int]:
        """(first, stop) video frames from their first to their last detection."""
        first, stop = seen_span(self.missing)
        return self.first_frame + first, self.first_frame + stop

    def export_motion(self, motion: Motion | None = None) -> Motion:
        """Their motion (or `motion`, e.g. post-processed again with other options) cut to their span
        (`Motion.seen_part`), with `metadata["person_id"]`, `metadata["first_frame"]` (video frame of its frame 0)
        and `metadata["missing_frames"]` (video frames)."""
        motion = self.motion if motion is None else motion
        metadata = dict(motion.metadata)
        metadata["person_id"] = self.person_id
        metadata["first_frame"] = self.first_frame
        metadata["missing_frames"] = (self.first_frame + np.flatnonzero(self.missing)).tolist()
        return dataclasses.replace(motion, metadata=metadata).seen_part()


def on_video_frames(person: PersonResult, frames: int, joints: np.ndarray | None = None) -> np.ndarray:
    """(frames, 17, 3) of `joints` (default: their motion's joints) placed on the video's frames, NaN where
    the person has no frame (for views that show everyone on one timeline)."""
    joints = person.motion.joints if joints is None else joints
    out = np.full((frames, *joints.shape[1:]), np.nan)
    first, stop = max(person.first_frame, 0), min(person.first_frame + len(joints), frames)
    if stop > first:
        out[first:stop] = joints[first - person.first_frame:stop - person.first_frame]
    return out


def person_stem(stem: str, person_id: int | None) -> str:
    """File stem of one person's exports: 'clip' -> 'clip.person3'."""
    return f"{stem}.person{person_id if person_id is not None else 0}"
