"""Identity tracking and target selection on synthetic people (gap filling: tests/core/test_gaps.py)."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.tracker import PeopleTracker, build_track, describe_target, parse_person, stitch_tracks
from pstmo.errors import InputError
from tests.detectors.helpers import person_at


def _ids_by_x(tracked) -> list[int]:
    return [p.track_id for p in sorted(tracked, key=lambda p: p.box[0])]


def test_two_people_walking_past_each_other_keep_their_ids():
    tracker = PeopleTracker()
    history = []
    for frame in range(40):
        left = person_at(100 + 8 * frame, 300, height=260)   # walks right, in front (bigger)
        right = person_at(420 - 8 * frame, 280, height=180)  # walks left
        tracked = tracker.update(frame, [right, left] if frame % 2 else [left, right])
        history.append({round(float(p.box[3] - p.box[1])): p.track_id for p in tracked})
    big_ids = {h[max(h)] for h in history}
    small_ids = {h[min(h)] for h in history}
    assert len(big_ids) == 1 and len(small_ids) == 1 and big_ids != small_ids
    assert tracker.id_switches == []


def test_a_person_missed_for_a_few_frames_gets_the_same_id_back():
    tracker = PeopleTracker(max_lost=10)
    ids = []
    for frame in range(30):
        people = [] if 10 <= frame < 16 else [person_at(200 + 3 * frame, 300)]
        ids += [p.track_id for p in tracker.update(frame, people)]
    assert set(ids) == {0}
    assert tracker.empty_frames == list(range(10, 16))


def test_a_person_back_after_their_track_expired_is_reported_as_an_id_switch():
    tracker = PeopleTracker(max_lost=5)
    for frame in range(40):
        people = [] if 10 <= frame < 20 else [person_at(200, 300)]
        tracker.update(frame, people)
    assert sorted(tracker.tracks) == [0, 1]
    assert [(s["kind"], s["from_id"], s["to_id"], s["frame"]) for s in tracker.id_switches] == [
        ("reappeared", 0, 1, 20)]


def test_a_box_that_jumps_across_the_frame_is_reported():
    tracker = PeopleTracker(min_similarity=0.0)
    tracker.update(0, [person_at(100, 300)])
    tracker.update(1, [person_at(103, 300)])
    tracker.update(2, [person_at(400, 300)])
    assert [s["kind"] for s in tracker.id_switches] == ["jump"]


def _tracker_with_big_short_and_small_long_person() -> PeopleTracker:
    tracker = PeopleTracker()
    for frame in range(20):
        people = [person_at(100, 300, height=120)]
        if frame >= 8:
            people.append(person_at(500, 300, height=300))
        tracker.update(frame, people)
    return tracker


def test_target_selection_by_largest_longest_or_id():
    tracker = _tracker_with_big_short_and_small_long_person()
    small, big = 0, 1
    assert tracker.select_target("largest") == big
    assert tracker.select_target("longest") == small
    assert tracker.select_target(small) == small
    assert tracker.select_target("1") == big


def test_largest_ignores_a_big_person_seen_in_only_a_few_frames():
    tracker = PeopleTracker()
    for frame in range(40):
        people = [person_at(100, 300, height=120)]
        if frame in (5, 6):
            people.append(person_at(500, 300, height=400))
        tracker.update(frame, people)
    assert tracker.select_target("largest") == 0


def test_the_default_main_person_weighs_frames_seen_as_well_as_size():
    tracker = PeopleTracker()
    for frame in range(100):  # a tall person missing for a third of the clip, a bit smaller one always there
        people = [person_at(100, 300, height=200)]
        if frame < 66:
            people.append(person_at(500, 300, height=240))
        tracker.update(frame, people)
    always, tall = 0, 1
    assert tracker.select_target() == always
    assert tracker.select_target("main") == always
    assert tracker.select_target("largest") == tall, "the old rule is still there by name"
    reason = describe_target(tracker.tracks, always, "main", 100)
    assert reason.startswith("#0 followed: seen in 100 of 100 frames") and "(next: #1, 66 frames" in reason


def test_an_id_may_be_written_as_shown_on_the_video():
    assert parse_person("#2") == 2 and parse_person(" 0 ") == 0 and parse_person("Main") == "main"


def test_unknown_person_id_or_rule_raises_input_error():
    tracker = _tracker_with_big_short_and_small_long_person()
    with pytest.raises(InputError, match="person ID 7 was not tracked; tracked IDs: 0 .*, 1 "):
        tracker.select_target(7)
    with pytest.raises(InputError, match="largest"):
        parse_person("tallest")


def test_person_is_largest_or_an_integer_id():
    assert parse_person("largest") == "largest"
    assert parse_person(" 3 ") == 3
    with pytest.raises(ValueError, match="person"):
        parse_person("bob")


def test_streaming_target_sticks_to_its_choice_while_it_is_tracked():
    tracker = PeopleTracker()
    tracker.update(0, [person_at(100, 300, height=150)])
    assert tracker.current_target("largest") == 0
    tracker.update(1, [person_at(100, 300, height=150), person_at(500, 300, height=300)])
    assert tracker.current_target("largest") == 0


def test_build_track_marks_interpolated_frames_long_gaps_and_low_confidence_joints():
    tracker = PeopleTracker(max_lost=50)
    for frame in range(30):
        if frame in (3, 4) or 10 <= frame < 22:
            tracker.update(frame, [])
            continue
        person = person_at(200 + frame, 300)
        if frame == 25:
            person.scores[0] = 0.1  # nose: low confidence between two good frames
        tracker.update(frame, [person])
    track = build_track(tracker.tracks[0], 30, (640, 480), 25.0, max_gap=3, source="clip.mp4", detector="replay")
    assert track.keypoints.shape == (30, 17, 2) and track.image_size == (640, 480) and track.fps == 25.0
    assert np.flatnonzero(track.interpolated).tolist() == [3, 4]
    assert track.extra["long_gaps"] == [(10, 21)]
    assert np.flatnonzero(track.missing).tolist() == list(range(10, 22))
    assert (track.confidence[10:22] == 0).all()
    assert track.person_id == 0 and track.source == "clip.mp4"
    nose = 9
    assert track.extra["filled"][25, nose] and track.confidence[25, nose] == pytest.approx(0.1)
    neighbours = (track.keypoints[24, nose, 0] + track.keypoints[26, nose, 0]) / 2
    assert track.keypoints[25, nose, 0] == pytest.approx(neighbours)


def test_build_track_without_a_person_is_all_missing():
    track = build_track(None, 5, (64, 48), 30.0)
    assert track.missing.all() and track.person_id is None


def test_a_person_refound_nearby_after_a_miss_keeps_the_id_even_without_box_overlap():
    tracker = PeopleTracker(min_similarity=0.9)  # force the second-stage (distance) matching
    tracker.update(0, [person_at(200, 300, height=200), person_at(600, 300, height=80)])
    tracker.update(1, [])
    tracked = tracker.update(2, [person_at(240, 300, height=200), person_at(600, 300, height=200)])
    assert _ids_by_x(tracked) == [0, 2]  # near and same size: resumed; the other grew 2.5 times: new


def _track_through(tracker: PeopleTracker, frames: range, people_at) -> None:
    for frame in frames:
        tracker.update(frame, people_at(frame))


def test_offline_stitching_joins_a_person_lost_mid_jump_and_found_again_a_body_height_away():
    tracker = PeopleTracker()
    _track_through(tracker, range(0, 40), lambda f: [person_at(200 + 2 * f, 300)])
    _track_through(tracker, range(40, 52), lambda f: [])  # in the air, not detected
    _track_through(tracker, range(52, 90), lambda f: [person_at(480 + 2 * f, 480)])  # landed lower and further
    assert len(tracker.tracks) == 2
    events = stitch_tracks(tracker.tracks, fps=30.0)
    assert list(tracker.tracks) == [0]
    assert tracker.tracks[0].frames == list(range(0, 40)) + list(range(52, 90))
    assert [(e["kind"], e["from_id"], e["to_id"], e["frame"]) for e in events] == [("relinked", 1, 0, 52)]


def test_offline_stitching_keeps_people_apart_when_they_overlap_in_time_are_far_or_gone_too_long():
    tracker = PeopleTracker()
    _track_through(tracker, range(0, 30), lambda f: [person_at(100, 300), person_at(600, 300)])  # together
    _track_through(tracker, range(30, 100), lambda f: [person_at(100, 300)])
    _track_through(tracker, range(100, 200), lambda f: [])  # 100 frames = 3.3 s: too long
    _track_through(tracker, range(200, 230), lambda f: [person_at(130, 300)])
    _track_through(tracker, range(230, 240), lambda f: [])
    _track_through(tracker, range(240, 260), lambda f: [person_at(1900, 300, height=200)])  # 8 heights away
    before = sorted(tracker.tracks)
    assert stitch_tracks(tracker.tracks, fps=30.0) == []
    assert sorted(tracker.tracks) == before


def test_offline_stitching_ignores_tracks_too_short_to_be_people():
    tracker = PeopleTracker()
    _track_through(tracker, range(0, 30), lambda f: [person_at(100, 300)])
    _track_through(tracker, range(40, 42), lambda f: [person_at(160, 300)])  # 2 frames of noise
    assert stitch_tracks(tracker.tracks, fps=30.0, min_length=5) == []


def _looking(person, colour: int):
    """The person wearing clothes of one hue bin: a one-hot appearance descriptor (see detectors.appearance)."""
    from detectors.appearance import SIZE

    look = np.zeros(SIZE, dtype=np.float32)
    look[[colour, SIZE // 2 + colour]] = 1.0
    person.appearance = look
    return person


def test_a_person_who_leaves_the_frame_and_comes_back_gets_their_id_back():
    tracker = PeopleTracker(max_lost=10, fps=30)
    ids = []
    for frame in range(120):
        # walks out to the right at frame 40, away for 1.5 s (past max_lost), comes back in on the right
        people = [] if 40 <= frame < 85 else [_looking(person_at(500 + 2 * (frame % 40), 300), colour=5)]
        ids += [p.track_id for p in tracker.update(frame, people)]
    assert set(ids) == {0}
    assert [(r["id"], r["frames_away"]) for r in tracker.reacquired] == [(0, 46)]
    assert tracker.id_switches == []


def test_someone_else_coming_in_where_a_person_left_gets_a_new_id():
    tracker = PeopleTracker(max_lost=10, fps=30)
    for frame in range(120):
        colour = 5 if frame < 40 else 20  # different clothes
        people = [] if 40 <= frame < 85 else [_looking(person_at(500, 300), colour=colour)]
        tracker.update(frame, people)
    assert sorted(t for t, r in tracker.tracks.items() if r.length) == [0, 1]
    assert tracker.reacquired == []


def test_a_returning_person_who_looks_like_two_people_lost_gets_a_new_id():
    tracker = PeopleTracker(max_lost=10, fps=30)
    for frame in range(120):
        if frame < 40:
            people = [_looking(person_at(300, 300), colour=5), _looking(person_at(700, 300), colour=5)]
        else:
            people = [] if frame < 85 else [_looking(person_at(500, 300), colour=5)]
        tracker.update(frame, people)
    assert tracker.reacquired == []
    assert len([r for r in tracker.tracks.values() if r.length]) == 3


def test_repeated_poses_are_interpolated_in_the_track_and_do_not_count_as_jumps():
    tracker = PeopleTracker()
    for frame in range(30):
        measured = frame % 6 == 0
        person = person_at(100 + 12 * (frame - frame % 6 if not measured else frame), 300)
        if not measured:
            person.held = frame % 6
        tracker.update(frame, [person])
    record = tracker.tracks[0]
    assert len(record.held) == 25 and tracker.id_switches == []
    track = build_track(record, 30, (1280, 720), 30.0, max_gap=8)
    pelvis_x = track.keypoints[:25, 0, 0]
    assert np.allclose(np.diff(pelvis_x), 12.0, atol=0.5)  # measurements every 6th frame, straight line between


def test_everyone_may_be_asked_for_by_all_or_everyone():
    assert parse_person("all") == "all" and parse_person("Everyone") == "all" and parse_person("everybody") == "all"


def test_everyone_seen_for_a_second_is_lifted_the_main_person_first():
    from detectors.tracker import describe_people, lifted_people, min_lift_frames

    tracker = PeopleTracker(fps=30)
    for frame in range(90):  # 3 s: a walker throughout, a tall person for 1.5 s, someone passing for 0.5 s
        people = [person_at(100, 300, height=200)]
        if frame >= 45:
            people.append(person_at(500, 300, height=260))
        if frame < 15:
            people.append(person_at(900, 300, height=180))
        tracker.update(frame, people)
    assert min_lift_frames(90, 30.0) == 30
    walker, passer, tall = 0, 1, 2  # ids in order of appearance
    assert lifted_people(tracker.tracks, 90, 30.0) == [walker, tall]  # the main one (height x time) first
    text = describe_people(tracker.tracks, [walker, tall], 90, 30.0)
    assert text == f"2 people lifted: #0 (90 of 90 frames), #2 (45); not lifted, seen under 30 frames: #{passer} (15)"


def test_a_clip_shorter_than_two_seconds_lifts_everyone_seen_in_half_of_it():
    from detectors.tracker import lifted_people, min_lift_frames

    tracker = PeopleTracker(fps=30)
    for frame in range(20):
        tracker.update(frame, [person_at(100, 300), person_at(500, 300)] if frame < 10 else [person_at(100, 300)])
    assert min_lift_frames(20, 30.0) == 10 and min_lift_frames(4, 30.0) == 5
    assert lifted_people(tracker.tracks, 20, 30.0) == [0, 1]
