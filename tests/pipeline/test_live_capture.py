"""A live session kept as a result (`pipeline.live_capture`): the same result and files `process` makes."""

from __future__ import annotations

import numpy as np
import pytest

from motion.export_csv import read_csv_missing
from motion.result import load_people
from pipeline.live_capture import LiveCapture, capture_result
from pipeline.pipeline import Pipeline
from pipeline.settings import PipelineSettings
from pipeline.sources import FakeSource
from pstmo.errors import InputError
from tests.pipeline.helpers import TwoPeopleDetector, frames


def _session(checkpoint, person="all", **detector):
    pipeline = Pipeline(PipelineSettings(person=person, device="cpu", checkpoint=str(checkpoint), exports="csv,bvh"),
                        detector=TwoPeopleDetector(**detector))
    capture = LiveCapture(name="two.mp4", image_size=(320, 240), fps=25.0, everyone=person == "all")
    for update in pipeline.live(FakeSource(frames(40), fps=25, name="two.mp4")):
        capture.add(update)
    return pipeline, capture


def test_everyone_followed_live_is_kept_over_their_own_frames_in_one_world(causal_checkpoint):
    pipeline, capture = _session(causal_checkpoint, b_from=5, b_until=35)
    result = capture_result(pipeline, capture)
    main, other = result.people
    assert result.summary.lifted == [main.person_id, other.person_id]
    assert (main.first_frame, len(main)) == (0, 40)
    assert (other.first_frame, len(other)) == (5, 30), "from their first to their last sighting"
    assert not other.missing.any()
    assert all(np.isfinite(p.motion.joints).all() for p in result.people)
    assert result.motion.frame == other.motion.frame == "world_y_up"


def test_a_captured_session_writes_the_files_process_writes_one_per_person(causal_checkpoint, tmp_path):
    pipeline, capture = _session(causal_checkpoint, b_from=5, b_until=35)
    written = pipeline.write_outputs(capture_result(pipeline, capture), tmp_path)
    main, other = capture.kept_people()
    assert set(written) == {"result", f"person{main}.csv", f"person{main}.bvh", f"person{other}.csv",
                            f"person{other}.bvh"}
    people = load_people(written["result"])
    assert [p.person_id for p in people] == [main, other]
    assert not read_csv_missing(written[f"person{main}.csv"]).any()


def test_frames_without_a_live_pose_are_marked_missing_not_invented(causal_checkpoint):
    pipeline, capture = _session(causal_checkpoint, person="main")
    main = capture.kept_people()[0]
    for frame in (10, 11, 12):  # as if these frames had been dropped while the 2D stage was busy
        del capture.three_d[main][frame]
    result = capture_result(pipeline, capture)
    assert np.flatnonzero(result.missing).tolist() == [10, 11, 12]
    np.testing.assert_array_equal(result.joints[10], result.joints[9])
    assert result.summary.lifted == [] and len(result.people) == 1


def test_a_session_nobody_was_lifted_in_is_a_one_line_error(causal_checkpoint):
    pipeline = Pipeline(PipelineSettings(device="cpu", checkpoint=str(causal_checkpoint)))
    with pytest.raises(InputError, match="nobody was lifted"):
        capture_result(pipeline, LiveCapture(name="cam", image_size=(320, 240), fps=25.0))
