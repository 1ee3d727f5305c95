"""Multi-person identity tracking, target selection and gap filling.

`PeopleTracker.update(frame_index, people)` gives each detected person a stable ID by matching them to the
tracks of earlier frames (Hungarian assignment on a similarity that is the larger of box IoU and keypoint
OKS). A track that misses frames is kept for `max_lost` frames so the person gets their old ID back when
they reappear. Events that look like identity mistakes are recorded in `PeopleTracker.id_switches`:
a person reappearing after their old track expired (they get a new ID), and a track whose box jumps
farther than a person can move between frames (probably taken over by someone else).

Offline, `build_track(tracker.tracks[target_id], ...)` turns a track into a `Track2D` with short gaps
interpolated and low-confidence joints marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from detectors import appearance as looks
from detectors.base import Person, to_h36m
from pstmo.errors import InputError
from pstmo.gaps import interpolate_short_gaps, missing_runs
from pstmo.skeleton import NUM_JOINTS
from tracks.track import Track2D

PREDICT_FRAMES = 3
"""A lost track's box is moved along its last velocity for at most this many frames."""
RESUME_SIZE_RATIO = 2.0
"""Second-stage matching accepts box heights up to this ratio apart (part of a person may be hidden)."""
OKS_SIGMA = 0.08
"""Keypoint spread for OKS, as a fraction of the person's size (box diagonal / sqrt 2)."""
REACQUIRE_BASE_DISTANCE = 1.0
REACQUIRE_SPEED = 2.0
"""Re-identification accepts a returning person within BASE + SPEED x seconds away box heights of where they
were last seen (walking covers about one body height per second; they may come back from the other side)."""
REACQUIRE_MARGIN = 0.03
"""...and only when their appearance is clearly closer to one lost person than to any other."""
REIDENTIFY_WINDOW_S = 2.0
"""A new track is compared with the people lost before it during its first seconds (someone coming back
through the edge of the frame is only partly in view at first)."""


@dataclass
class TrackedPerson:
    """One person in one frame with their track ID.

    keypoints: (17, 2) H36M pixels; confidence: (17,) in [0, 1]; box: (4,) x1 y1 x2 y2 pixels.
    """

    track_id: int
    frame_index: int
    keypoints: np.ndarray
    confidence: np.ndarray
    box: np.ndarray
    score: float
    person: Person | None = None


@dataclass
class TrackRecord:
    """Everything seen of one tracked person: frame index -> (17, 2) px, (17,) confidence, (4,) box."""

    track_id: int
    frames: list[int] = field(default_factory=list)
    keypoints: list[np.ndarray] = field(default_factory=list)
    confidence: list[np.ndarray] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    held: set[int] = field(default_factory=set)
    """Frames whose keypoints repeat an earlier measurement (`Person.held`); `build_track` interpolates them."""
    appearance: np.ndarray | None = None
    """Running colour descriptor (`detectors.appearance`), for recognising the person after an exit."""

    @property
    def length(self) -> int:
        """Number of frames this person was detected in."""
        return len(self.frames)

    @property
    def first_frame(self) -> int:
        return self.frames[0]

    @property
    def last_frame(self) -> int:
        return self.frames[-1]

    @property
    def median_height(self) -> float:
        """Median box height in pixels."""
        return float(np.median([b[3] - b[1] for b in self.boxes])) if self.boxes else 0.0

    @property
    def median_area(self) -> float:
        """Median box area in square pixels."""
        return float(np.median([(b[2] - b[0]) * (b[3] - b[1]) for b in self.boxes])) if self.boxes else 0.0

    def to_json(self) -> dict:
        """JSON-ready summary with per-frame keypoints (H36M pixels, null where NaN) and boxes."""
        return {
            "id": self.track_id,
            "first_frame": self.first_frame,
            "last_frame": self.last_frame,
            "length": self.length,
            "median_box_height": round(self.median_height, 1),
            "frames": list(self.frames),
            "boxes": [[round(float(v), 1) for v in b] for b in self.boxes],
            "keypoints": [_points_json(k) for k in self.keypoints],
            "confidence": [[round(float(c), 3) for c in conf] for conf in self.confidence],
        }


def _points_json(points: np.ndarray) -> list:
    return [None if not np.isfinite(p).all() else [round(float(p[0]), 2), round(float(p[1]), 2)] for p in points]


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two x1 y1 x2 y2 boxes."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(x2 - x1, 0.0) * max(y2 - y1, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def keypoint_oks(a: np.ndarray, conf_a: np.ndarray, b: np.ndarray, conf_b: np.ndarray, box: np.ndarray,
                 min_confidence: float = 0.3) -> float:
    """Object keypoint similarity in [0, 1] of two (17, 2) poses over joints both see with confidence."""
    both = (conf_a >= min_confidence) & (conf_b >= min_confidence) & np.isfinite(a).all(1) & np.isfinite(b).all(1)
    if both.sum() < 3:
        return 0.0
    scale = max(float(np.hypot(box[2] - box[0], box[3] - box[1])) / np.sqrt(2.0), 1.0)
    d2 = ((a[both] - b[both]) ** 2).sum(axis=1)
    return float(np.exp(-d2 / (2.0 * (OKS_SIGMA * scale) ** 2)).mean())


def _centre(box: np.ndarray) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


class PeopleTracker:
    """Frame-by-frame identity tracking of every detected person.

    min_similarity: a detection joins a track when max(IoU, OKS) with the track's last box/pose (shifted by
        its recent motion) reaches this.
    max_lost: frames a track may go undetected and still be resumed under the same ID.
    max_jump: a matched box whose centre moves more than this many box heights per frame (since the
        track's last detection) is reported as a suspected identity switch.
    min_length: tracks shorter than this many frames are treated as noise when reporting switches.
    resume_distance: a person no track claimed joins a track no person claimed when their box centres are
        at most this many box heights apart (and their heights within `RESUME_SIZE_RATIO` times).
    fps: frames per second of the video (turns frames away into seconds for re-identification).
    reacquire_s: a person seen for at least `min_length` frames who is lost (left the frame, hidden) and comes
        back within this many seconds gets their old ID back when the evidence allows: appearance similarity
        (`detectors.appearance`) at least `min_appearance` and clearly best among the people lost, a median
        height within `RESUME_SIZE_RATIO` times, and a position reachable in the time away. The new track is
        merged into the old one during its first `REIDENTIFY_WINDOW_S` seconds (from then on this frame's
        people carry the old ID); each merge is listed in `reacquired`.
    """

    def __init__(self, min_similarity: float = 0.2, max_lost: int = 30, max_jump: float = 0.5,
                 min_length: int = 5, resume_distance: float = 0.5, fps: float = 30.0,
                 reacquire_s: float = 30.0, min_appearance: float = 0.85) -> None:
        self.fps = float(fps) if fps and fps > 0 else 30.0
        self.reacquire_s = float(reacquire_s)
        self.min_appearance = float(min_appearance)
        self.reacquired: list[dict] = []
        self._settled: set[int] = set()
        self.min_similarity = float(min_similarity)
        self.max_lost = int(max_lost)
        self.max_jump = float(max_jump)
        self.min_length = int(min_length)
        self.resume_distance = float(resume_distance)
        self.tracks: dict[int, TrackRecord] = {}
        self.id_switches: list[dict] = []
        self.frames_seen = 0
        self.empty_frames: list[int] = []
        self._next_id = 0
        self._active: list[int] = []
        self._expired: list[int] = []
        self._target: int | None = None

    # ------------------------------------------------------------------ streaming

    def update(self, frame_index: int, people: list[Person]) -> list[TrackedPerson]:
        """Match this frame's people to tracks; returns them with their track IDs (new IDs for new people)."""
        self.frames_seen += 1
        self._expire(frame_index)
        observations = []
        for person in people:
            keypoints, confidence = to_h36m(person)
            observations.append((person, keypoints, confidence))
        if not observations:
            self.empty_frames.append(frame_index)
            return []
        assigned = self._assign(frame_index, observations)
        ids = []
        for (person, keypoints, confidence), track_id in zip(observations, assigned, strict=True):
            if track_id is None:
                track_id = self._new_track(frame_index, person.box)
            else:
                self._check_jump(frame_index, track_id, person.box)
            ids.append(track_id)
            record = self.tracks[track_id]
            record.frames.append(frame_index)
            record.keypoints.append(keypoints)
            record.confidence.append(confidence)
            record.boxes.append(person.box.copy())
            if person.held:
                record.held.add(frame_index)
            else:
                record.appearance = looks.blend(record.appearance, person.appearance)
        merged = self._reidentify(frame_index)
        return [TrackedPerson(merged.get(track_id, track_id), frame_index, keypoints, confidence, person.box.copy(),
                              person.score, person)
                for (person, keypoints, confidence), track_id in zip(observations, ids, strict=True)]

    def _predicted_shift(self, record: TrackRecord, frame_index: int) -> np.ndarray:
        if record.length < 2:
            return np.zeros(2)
        span = record.frames[-1] - record.frames[-2]
        velocity = (_centre(record.boxes[-1]) - _centre(record.boxes[-2])) / max(span, 1)
        return velocity * min(frame_index - record.frames[-1], PREDICT_FRAMES)

    def _similarity(self, record: TrackRecord, frame_index: int, keypoints: np.ndarray, confidence: np.ndarray,
                    box: np.ndarray) -> float:
        shift = self._predicted_shift(record, frame_index)
        last_box = record.boxes[-1] + np.concatenate([shift, shift])
        last_points = record.keypoints[-1] + shift
        iou = box_iou(last_box, box)
        oks = keypoint_oks(last_points, record.confidence[-1], keypoints, confidence, last_box)
        return max(iou, oks)

    def _assign(self, frame_index: int, observations: list) -> list[int | None]:
        """Track ID (or None: new person) for each observation: Hungarian matching on similarity, then
        people left over are matched to tracks left over that are near (a person re-found after a miss or a
        pose change, whose box no longer overlaps enough)."""
        assigned: list[int | None] = [None] * len(observations)
        if not self._active:
            return assigned
        similarity = np.array([
            [self._similarity(self.tracks[t], frame_index, kp, conf, person.box) for t in self._active]
            for person, kp, conf in observations
        ])
        rows, cols = linear_sum_assignment(-similarity)
        for row, col in zip(rows, cols, strict=True):
            if similarity[row, col] >= self.min_similarity:
                assigned[row] = self._active[col]
        free_rows = [r for r in range(len(observations)) if assigned[r] is None]
        free_tracks = [t for t in self._active if t not in assigned]
        if not free_rows or not free_tracks:
            return assigned
        distance = np.array([[self._resume_distance(self.tracks[t], frame_index, observations[r][0].box)
                              for t in free_tracks] for r in free_rows])
        rows, cols = linear_sum_assignment(distance)
        for row, col in zip(rows, cols, strict=True):
            if distance[row, col] <= self.resume_distance:
                assigned[free_rows[row]] = free_tracks[col]
        return assigned

    def _resume_distance(self, record: TrackRecord, frame_index: int, box: np.ndarray) -> float:
        """Centre distance in box heights (the larger of the two); 1e6 when the heights differ by more than
        `RESUME_SIZE_RATIO` times."""
        last = record.boxes[-1]
        height, new_height = max(last[3] - last[1], 1.0), max(box[3] - box[1], 1.0)
        if not 1 / RESUME_SIZE_RATIO <= new_height / height <= RESUME_SIZE_RATIO:
            return 1e6
        predicted = _centre(last) + self._predicted_shift(record, frame_index)
        return float(np.linalg.norm(_centre(box) - predicted) / max(height, new_height))

    def _reidentify(self, frame_index: int) -> dict[int, int]:
        """Young tracks (started within `REIDENTIFY_WINDOW_S`) that are a person lost earlier are merged back
        into that person's track (see `reacquire_s`); returns {young ID: old ID} for this frame's merges."""
        merged: dict[int, int] = {}
        young = [t for t in self._active if self.tracks[t].length
                 and frame_index - self.tracks[t].first_frame <= REIDENTIFY_WINDOW_S * self.fps]
        for young_id in young:
            record = self.tracks[young_id]
            if record.appearance is None or young_id in self._settled:
                continue
            old_id = self._lost_match(record)
            if old_id is None:
                continue
            old = self.tracks[old_id]
            self.reacquired.append({"frame": record.first_frame, "id": old_id, "new_id": young_id,
                                    "frames_away": int(record.first_frame - old.last_frame),
                                    "appearance": round(looks.similarity(old.appearance, record.appearance), 3)})
            old.frames += record.frames
            old.keypoints += record.keypoints
            old.confidence += record.confidence
            old.boxes += record.boxes
            old.held |= record.held
            old.appearance = looks.blend(old.appearance, record.appearance, 0.5)
            del self.tracks[young_id]
            self._active[self._active.index(young_id)] = old_id
            if old_id in self._expired:
                self._expired.remove(old_id)
            self.id_switches = [s for s in self.id_switches  # not a switch after all: the same person is back
                                if not (s["kind"] == "reappeared" and s["to_id"] == young_id)]
            if self._target == young_id:
                self._target = old_id
            merged[young_id] = old_id
        return merged

    def _lost_match(self, young: TrackRecord) -> int | None:
        """The lost track `young` continues, when the evidence allows (see `reacquire_s`), else None."""
        first = young.boxes[0]
        candidates = []
        for track_id, record in self.tracks.items():
            if record is young or record.appearance is None or record.length < self.min_length:
                continue
            away = young.first_frame - record.last_frame
            if away < 1 or away > self.reacquire_s * self.fps:
                continue
            height, new_height = max(record.median_height, 1.0), max(young.median_height, 1.0)
            if not 1 / RESUME_SIZE_RATIO <= new_height / height <= RESUME_SIZE_RATIO:
                continue
            last = record.boxes[-1]
            distance = float(np.linalg.norm(_centre(first) - _centre(last)) / max(height, new_height))
            if distance > REACQUIRE_BASE_DISTANCE + REACQUIRE_SPEED * away / self.fps:
                continue
            candidates.append((looks.similarity(record.appearance, young.appearance), track_id))
        candidates.sort(reverse=True)
        if not candidates or candidates[0][0] < self.min_appearance:
            return None
        if len(candidates) > 1 and candidates[0][0] - candidates[1][0] < REACQUIRE_MARGIN:
            self._settled.add(young.track_id)  # two lost people look alike: a new ID is safer than a wrong one
            return None
        return candidates[0][1]

    def _new_track(self, frame_index: int, box: np.ndarray) -> int:
        track_id = self._next_id
        self._next_id += 1
        self.tracks[track_id] = TrackRecord(track_id)
        self._active.append(track_id)
        for old_id in self._expired:  # someone expired nearby recently: probably the same person, new ID
            old = self.tracks[old_id]
            if old.length < self.min_length:
                continue
            near = np.linalg.norm(_centre(old.boxes[-1]) - _centre(box)) < (old.boxes[-1][3] - old.boxes[-1][1])
            if near and frame_index - old.last_frame <= 4 * self.max_lost:
                self.id_switches.append({
                    "frame": frame_index, "from_id": old_id, "to_id": track_id, "kind": "reappeared",
                    "detail": f"track {old_id} was lost {frame_index - old.last_frame} frames ago near here",
                })
                self._expired.remove(old_id)
                break
        return track_id

    def _check_jump(self, frame_index: int, track_id: int, box: np.ndarray) -> None:
        record = self.tracks[track_id]
        # Since the last measurement: repeated (held) poses do not move, the person did.
        last = next((n for n in range(record.length - 1, -1, -1) if record.frames[n] not in record.held),
                    record.length - 1)
        height = max(record.boxes[last][3] - record.boxes[last][1], 1.0)
        frames = max(frame_index - record.frames[last], 1)
        shift = self._predicted_shift(record, frame_index) if last == record.length - 1 else 0.0
        moved = np.linalg.norm(_centre(box) - _centre(record.boxes[last]) - shift)
        if moved / height > self.max_jump * frames:
            self.id_switches.append({
                "frame": frame_index, "from_id": track_id, "to_id": track_id, "kind": "jump",
                "detail": f"box moved {moved / height:.2f} heights in {frames} frame(s)",
            })

    def _expire(self, frame_index: int) -> None:
        for track_id in list(self._active):
            if frame_index - self.tracks[track_id].last_frame > self.max_lost:
                self._active.remove(track_id)
                self._expired.append(track_id)

    # ------------------------------------------------------------------ selection

    def select_target(self, person: str | int = "main") -> int | None:
        """ID of the person to follow: "main" (the default: largest median box height x frames seen),
        "largest" (biggest median box height among tracks seen in at least a quarter as many frames as the
        longest), "longest" (most frames), or a track ID. None if nobody."""
        return select_target(self.tracks, person)

    def current_target(self, person: str | int = "main") -> int | None:
        """Streaming target: keeps the previous choice while its track is alive, else chooses again."""
        if isinstance(person, int) or (isinstance(person, str) and person.isdigit()):
            return int(person) if int(person) in self.tracks else None
        if self._target is not None and self._target in self._active:
            return self._target
        alive = {t: self.tracks[t] for t in self._active if self.tracks[t].length}
        self._target = select_target(alive, person) if alive else None
        return self._target


PERSON_RULES: tuple[str, ...] = ("main", "largest", "longest")
"""How the person to follow is chosen when no ID is given; "main" is the default (see `select_target`).
The one list of rule names: the CLI flags, the pipeline settings and the GUI all go through `parse_person`."""
EVERYONE = "all"
"""`--person all`: lift everyone seen long enough (`lifted_people`); the "main" person comes first (the one the
timeline and single-person views follow until another is picked)."""
MIN_LIFT_SECONDS = 1.0
MIN_LIFT_SHARE = 0.5
MIN_LIFT_FRAMES = 5
"""With `--person all`, a person is lifted when measured (not just held) in at least `MIN_LIFT_SECONDS` of frames,
or in `MIN_LIFT_SHARE` of a clip shorter than twice that, and never fewer than `MIN_LIFT_FRAMES` frames: shorter
tracks are detector noise or someone passing the edge of the frame, too brief for the lifter's window to mean
much. The main person is always lifted."""


def parse_person(person: str | int) -> str | int:
    """'main' (also 'auto' or empty) / 'largest' / 'longest' / 'all' (also 'everyone') / an integer ID (as int,
    digit string or '#N' as drawn on the video) -> the rule or the ID. InputError for anything else."""
    if isinstance(person, (int, np.integer)) and not isinstance(person, bool):
        return int(person)
    text = str(person).strip().lower().removeprefix("#").strip()
    if text.lstrip("-").isdigit():
        return int(text)
    if text in ("auto", ""):
        return "main"
    if text in ("everyone", "everybody"):
        return EVERYONE
    if text in PERSON_RULES or text == EVERYONE:
        return text
    raise InputError(f"--person must be 'main', 'largest', 'longest', 'all' or a track ID such as 0 or #0; "
                     f"got {person!r}")


def main_score(record: TrackRecord) -> float:
    """The "main" rule's score: median box height (px) x frames seen. A person seen in every frame beats a
    slightly taller one missing for a third of the clip; a big one-frame detection counts for little."""
    return record.median_height * record.length


def select_target(tracks: dict[int, TrackRecord], person: str | int = "main") -> int | None:
    """See `PeopleTracker.select_target`. Raises InputError for an unknown ID."""
    rule = parse_person(person)
    candidates = {t: r for t, r in tracks.items() if r.length > 0}
    if isinstance(rule, int):
        if rule not in candidates:
            known = ", ".join(f"{t} ({r.length} frames)" for t, r in sorted(candidates.items())) or "none"
            raise InputError(f"person ID {rule} was not tracked; tracked IDs: {known}")
        return rule
    if not candidates:
        return None
    if rule in ("main", EVERYONE):
        return max(candidates, key=lambda t: (main_score(candidates[t]), candidates[t].length))
    if rule == "longest":
        return max(candidates, key=lambda t: (candidates[t].length, candidates[t].median_height))
    longest = max(r.length for r in candidates.values())
    steady = {t: r for t, r in candidates.items() if r.length >= 0.25 * longest}
    return max(steady, key=lambda t: (steady[t].median_height, steady[t].length))


def describe_target(tracks: dict[int, TrackRecord], target: int | None, person: str | int, frames: int) -> str:
    """One line saying whom `select_target` chose and why, e.g. "#0 followed: seen in 191 of 230 frames at
    402 px, the most height x time of anyone (next: #2, 160 frames at 436 px)"."""
    if target is None or target not in tracks:
        return "nobody to follow"
    rule = parse_person(person)
    chosen = tracks[target]
    seen = f"seen in {chosen.length} of {frames} frames at {chosen.median_height:.0f} px"
    if isinstance(rule, int):
        return f"#{target} followed: chosen by id, {seen}"
    why = {"main": "the most height x time of anyone", "largest": "the tallest person seen steadily",
           "longest": "seen in the most frames", EVERYONE: "the most height x time of anyone"}[rule]
    text = f"#{target} followed: {seen}, {why}"
    others = sorted((r for t, r in tracks.items() if t != target and r.length > 0), key=main_score, reverse=True)
    if others:
        text += f" (next: #{others[0].track_id}, {others[0].length} frames at {others[0].median_height:.0f} px)"
    return text


def measured_frames(record: TrackRecord) -> int:
    """Frames in which this person's keypoints were measured (not repeated from an earlier frame)."""
    return len(set(record.frames) - record.held)


def min_lift_frames(frames: int, fps: float) -> int:
    """Measured frames a person needs to be lifted with `--person all` (see `MIN_LIFT_SECONDS`)."""
    wanted = round(MIN_LIFT_SECONDS * (fps if fps and fps > 0 else 30.0))
    return max(MIN_LIFT_FRAMES, min(wanted, int(np.ceil(MIN_LIFT_SHARE * frames))))


def lifted_people(tracks: dict[int, TrackRecord], frames: int, fps: float, main: int | None = None) -> list[int]:
    """IDs of the people `--person all` lifts: the `main` one first (`select_target`'s "main" when None), then
    everyone else measured in at least `min_lift_frames` frames, by ID."""
    main = select_target(tracks, "main") if main is None else main
    needed = min_lift_frames(frames, fps)
    others = sorted(t for t, r in tracks.items() if t != main and measured_frames(r) >= needed)
    return ([main] if main is not None else []) + others


def describe_people(tracks: dict[int, TrackRecord], lifted: list[int], frames: int, fps: float) -> str:
    """One line saying whom `--person all` lifted and whom not, e.g. "2 people lifted: #0 (191 of 230
    frames), #1 (153); not lifted, seen under 30 frames: #4 (12)"."""
    if not lifted:
        return "nobody to lift"
    seen = [f"#{t} ({measured_frames(tracks[t])}{f' of {frames} frames' if n == 0 else ''})"
            for n, t in enumerate(lifted)]
    text = f"{len(lifted)} {'person' if len(lifted) == 1 else 'people'} lifted: {', '.join(seen)}"
    left = [f"#{t} ({measured_frames(r)})" for t, r in sorted(tracks.items()) if t not in lifted and r.length]
    if left:
        text += f"; not lifted, seen under {min_lift_frames(frames, fps)} frames: {', '.join(left)}"
    return text


# ---------------------------------------------------------------------------------------- stitching

STITCH_MAX_GAP_S = 2.0
"""Offline stitching joins a track to one that starts at most this many seconds after it ends."""
STITCH_BASE_DISTANCE = 0.5
STITCH_SPEED = 3.0
"""...and whose first box centre is within BASE + SPEED * gap seconds box heights of its last one (a person
covers about one body height per second walking; a jump or a run several)."""


def _stitch_distance(earlier: TrackRecord, later: TrackRecord, fps: float) -> float | None:
    """Centre distance (in median box heights) from `earlier`'s last box to `later`'s first, or None when
    `later` cannot continue `earlier` (overlap in time, gap too long, sizes too different, too far)."""
    gap_frames = later.first_frame - earlier.last_frame
    gap_s = gap_frames / max(fps, 1e-6)
    if gap_frames <= 0 or gap_s > STITCH_MAX_GAP_S:
        return None
    height_a, height_b = max(earlier.median_height, 1.0), max(later.median_height, 1.0)
    if not 1 / RESUME_SIZE_RATIO <= height_b / height_a <= RESUME_SIZE_RATIO:
        return None
    distance = float(np.linalg.norm(_centre(later.boxes[0]) - _centre(earlier.boxes[-1])) / max(height_a, height_b))
    return distance if distance <= STITCH_BASE_DISTANCE + STITCH_SPEED * gap_s else None


def stitch_tracks(tracks: dict[int, TrackRecord], fps: float, *, min_length: int = 5) -> list[dict]:
    """Offline: join tracks that are one person lost for a moment (e.g. mid-jump) and found again under a new
    ID. A track of at least `min_length` frames that starts after another ends, within `STITCH_MAX_GAP_S`
    seconds and a plausible distance, is merged into it (closest pairs first; each track continues at most
    one). `tracks` is changed in place; returns one event per merge (`kind` "relinked")."""
    events = []
    while True:
        long_tracks = [r for r in tracks.values() if r.length >= min_length]
        pairs = []
        for earlier in long_tracks:
            for later in long_tracks:
                if later is not earlier and (distance := _stitch_distance(earlier, later, fps)) is not None:
                    pairs.append((later.first_frame - earlier.last_frame, distance, earlier, later))
        if not pairs:
            return events
        gap, distance, earlier, later = min(pairs, key=lambda pair: (pair[0], pair[1]))
        events.append({"frame": later.first_frame, "from_id": later.track_id, "to_id": earlier.track_id,
                       "kind": "relinked", "detail": f"track {later.track_id} continues track {earlier.track_id} "
                       f"after {gap} missed frames, {distance:.2f} box heights away"})
        earlier.frames += later.frames
        earlier.keypoints += later.keypoints
        earlier.confidence += later.confidence
        earlier.boxes += later.boxes
        earlier.held |= later.held
        del tracks[later.track_id]


def build_track(record: TrackRecord | None, num_frames: int, image_size: tuple[int, int], fps: float, *,
                max_gap: int = 15, min_confidence: float = 0.3, source: str = "", detector: str = ""
                ) -> Track2D:
    """`Track2D` of one tracked person over `num_frames` frames, short gaps filled.

    Frames where the person was not detected are NaN with confidence 0, unless the gap is at most
    `max_gap` frames (then interpolated; `Track2D.interpolated` marks those frames). Joints below
    `min_confidence` keep their confidence (so they stay marked) but short runs of them are replaced by
    interpolation. `extra` holds: `filled` (T, 17) bool, `low_confidence` (T, 17) bool (below
    `min_confidence` after filling), `long_gaps` [(first, last)] frame ranges left missing, `max_gap`.
    """
    keypoints = np.full((num_frames, NUM_JOINTS, 2), np.nan, dtype=np.float32)
    confidence = np.zeros((num_frames, NUM_JOINTS), dtype=np.float32)
    person_id = None
    if record is not None:
        person_id = record.track_id
        for frame, kp, conf in zip(record.frames, record.keypoints, record.confidence, strict=True):
            if 0 <= frame < num_frames and frame not in record.held:  # held frames: interpolated below
                keypoints[frame], confidence[frame] = kp, conf
    detected = np.isfinite(keypoints).all(axis=2).any(axis=1)
    keypoints, confidence, filled = interpolate_short_gaps(keypoints, confidence, max_gap=max_gap,
                                                          min_confidence=min_confidence)
    interpolated = ~detected & filled.any(axis=1)
    still_missing = ~np.isfinite(keypoints).all(axis=2).any(axis=1)
    low = np.isfinite(keypoints).all(axis=2) & (confidence < min_confidence) & ~filled
    return Track2D(
        keypoints=keypoints, confidence=confidence, image_size=image_size, fps=fps, person_id=person_id,
        interpolated=interpolated, source=source, detector=detector,
        extra={"filled": filled, "low_confidence": low, "long_gaps": missing_runs(still_missing),
               "max_gap": int(max_gap), "min_confidence": float(min_confidence)},
    )
