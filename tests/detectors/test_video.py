"""`detect_video` and the per-frame `PersonFollower` with a stand-in detector and in-memory frames."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from detectors import PersonFollower, detect_video
from pipeline.sources import FakeSource
from pstmo.errors import InputError
from tests.detectors.helpers import ReplayDetector, person_at


def _frames(count: int) -> list[np.ndarray]:
    return [np.zeros((480, 640, 3), dtype=np.uint8) for _ in range(count)]


def _script(count: int, gap: tuple[int, ...] = ()) -> list:
    return [[] if n in gap else [person_at(200 + 2 * n, 300, 250), person_at(500, 300, 120)] for n in range(count)]


def test_detect_video_follows_the_largest_person_and_fills_short_gaps():
    detector = ReplayDetector(_script(20, gap=(7, 8)))
    calls = []
    result = detect_video(FakeSource(_frames(20), fps=25), detector, max_gap=3,
                          progress=lambda done, total: calls.append((done, total)))
    assert result.frames_read == 20 and calls[-1] == (20, 20) and len(calls) == 20
    assert len(result.tracks) == 2 and result.id_switches == []
    chosen = result.tracks[result.target_id]
    assert chosen.median_height > 200
    assert result.track.keypoints.shape == (20, 17, 2) and result.track.fps == 25
    assert np.flatnonzero(result.track.interpolated).tolist() == [7, 8]
    assert result.missing_frames == [] and result.empty_frames == [7, 8]


def test_a_detector_failure_on_one_frame_makes_that_frame_missing_not_an_error():
    detector = ReplayDetector(_script(10), fail_on=(4,))
    result = detect_video(FakeSource(_frames(10)), detector, max_gap=0)
    assert result.failed_frames == [4] and result.missing_frames == [4]


def test_nobody_in_the_whole_video_raises_input_error_naming_the_source():
    detector = ReplayDetector([[] for _ in range(5)])
    with pytest.raises(InputError, match="empty-clip: nobody detected in any of the 5 frames"):
        detect_video(FakeSource(_frames(5), name="empty-clip"), detector)


def test_cancel_stops_early_and_returns_what_was_found():
    cancel = threading.Event()
    detector = ReplayDetector(_script(50))
    result = detect_video(FakeSource(_frames(50)), detector,
                          progress=lambda done, total: cancel.set() if done == 10 else None, cancel=cancel)
    assert result.cancelled and result.frames_read == 10 and len(result.track) == 10


def test_a_chosen_person_id_is_followed():
    result = detect_video(FakeSource(_frames(6)), ReplayDetector(_script(6)), person=1)
    assert result.target_id == 1 and result.tracks[1].median_height < 200


def test_person_follower_gives_the_target_keypoints_frame_by_frame():
    follower = PersonFollower(ReplayDetector(_script(3, gap=(1,))), person="largest")
    first = follower.step(0, _frames(1)[0])
    assert first.found and len(first.people) == 2 and first.keypoints.shape == (17, 2)
    second = follower.step(1, _frames(1)[0])
    assert not second.found and np.isnan(second.keypoints).all() and (second.confidence == 0).all()
    third = follower.step(2, _frames(1)[0])
    assert third.target_id == first.target_id and third.found


class _FocusRecorder(ReplayDetector):
    def __init__(self, script) -> None:
        super().__init__(script)
        self.focus = []

    def set_focus(self, boxes) -> None:
        self.focus.append(boxes)


def test_everyone_is_listed_for_lifting_and_kept_in_the_detectors_focus():
    detector = _FocusRecorder(_script(40))
    result = detect_video(FakeSource(_frames(40), fps=25), detector, person="all")
    assert result.lifted == [result.target_id, 1 - result.target_id]  # the main (larger) person first
    assert all(boxes is None for boxes in detector.focus)  # None: everyone measured every frame
    assert result.track.extra["target_reason"].startswith("2 people lifted: #")
    single = detect_video(FakeSource(_frames(40), fps=25), _FocusRecorder(_script(40)))
    assert single.lifted == [single.target_id]
