"""Pipeline behaviour with a scripted detector on in-memory frames (fast, deterministic)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from motion.result import load_result
from pipeline.pipeline import Cancelled, Pipeline
from pipeline.settings import PipelineSettings
from pipeline.sources import FakeSource
from pstmo.errors import InputError
from tests.pipeline.helpers import ScriptedDetector, frames


def make_pipeline(checkpoint, **settings) -> Pipeline:
    return Pipeline(PipelineSettings(checkpoint=str(checkpoint), device="cpu", **settings),
                    detector=ScriptedDetector())


def test_process_lifts_every_frame_and_marks_the_frames_nobody_was_seen(centred_checkpoint):
    pipeline = make_pipeline(centred_checkpoint, max_gap=0)
    result = pipeline.process(FakeSource(frames(40, blank=(0, 1, 20)), fps=25))
    assert result.joints.shape == (40, 17, 3)
    assert not np.isnan(result.joints).any()
    assert result.missing.tolist() == [n in (0, 1, 20) for n in range(40)]
    assert result.summary.frames == 40 and result.summary.missing_frames == 3
    assert result.summary.people == 1
    assert len(result.motion.joints) == 40


def test_process_writes_the_result_and_every_requested_export(centred_checkpoint, tmp_path):
    pipeline = make_pipeline(centred_checkpoint, exports="csv,json,npz,bvh")
    result = pipeline.process(FakeSource(frames(30), name="walk.mp4"), tmp_path / "out")
    outputs = result.summary.outputs
    assert set(outputs) == {"result", "csv", "json", "npz", "bvh"}
    assert outputs["csv"].endswith("walk.csv")
    motion, track = load_result(outputs["result"])
    assert motion.joints.shape == (30, 17, 3)
    assert track is not None and track.keypoints.shape == (30, 17, 2)
    assert (tmp_path / "out" / "walk.bvh").read_text().startswith("HIERARCHY")
    assert not list((tmp_path / "out").glob(".*tmp*")), "no temporary files are left behind"


def test_progress_reports_each_stage_in_order_and_reaches_the_total(centred_checkpoint, tmp_path):
    calls = []
    make_pipeline(centred_checkpoint, exports="csv").process(
        FakeSource(frames(20)), tmp_path, progress=lambda stage, done, total: calls.append((stage, done, total)))
    stages = list(dict.fromkeys(stage for stage, _, _ in calls))
    assert stages == ["detect", "lift", "motion", "export"]
    assert ("detect", 20, 20) in calls
    assert calls[-1][1] == calls[-1][2]


def test_setting_the_cancel_event_stops_processing(centred_checkpoint):
    cancel = threading.Event()

    def progress(stage, done, total):
        if stage == "detect" and done == 5:
            cancel.set()

    with pytest.raises(Cancelled):
        make_pipeline(centred_checkpoint).process(FakeSource(frames(50)), progress=progress, cancel=cancel)


def test_max_frames_limits_how_much_of_the_source_is_read(centred_checkpoint):
    result = make_pipeline(centred_checkpoint, max_frames=12).process(FakeSource(frames(50)))
    assert result.summary.frames == 12


def test_a_video_with_nobody_in_it_is_a_one_line_input_error(centred_checkpoint):
    with pytest.raises(InputError, match="nobody"):
        make_pipeline(centred_checkpoint).process(FakeSource(frames(5, blank=range(5)), name="empty.mp4"))


def test_a_single_frame_is_lifted(centred_checkpoint):
    result = make_pipeline(centred_checkpoint).process(FakeSource(frames(1)))
    assert result.joints.shape == (1, 17, 3) and not np.isnan(result.joints).any()


def test_the_precision_setting_reaches_the_lifter_and_a_new_precision_reloads_it(centred_checkpoint):
    import torch

    pipeline = make_pipeline(centred_checkpoint, precision="bfloat16")
    assert pipeline.lifter().dtype == torch.bfloat16
    exact = pipeline.reconfigured(PipelineSettings(checkpoint=str(centred_checkpoint), device="cpu",
                                                   precision="float32"))
    assert exact.lifter().dtype == torch.float32


def test_a_missing_checkpoint_is_an_input_error_naming_the_file(tmp_path):
    pipeline = Pipeline(PipelineSettings(checkpoint=str(tmp_path / "nope.json")), detector=ScriptedDetector())
    with pytest.raises(InputError, match="nope.json"):
        pipeline.process(FakeSource(frames(3)))


def test_live_mode_with_a_causal_model_answers_every_frame_at_once(causal_checkpoint):
    pipeline = make_pipeline(causal_checkpoint)
    updates = list(pipeline.live(FakeSource(frames(20))))
    assert len(updates) == 20
    assert [u.pose_frame_index for u in updates] == list(range(20))
    assert all(u.pose.shape == (17, 3) and u.latency_s is not None and u.latency_s >= 0 for u in updates)
    assert updates[-1].people and updates[-1].person_id == updates[-1].people[0][0]


def test_live_mode_with_a_centred_model_is_delayed_by_half_a_window(centred_checkpoint):
    pipeline = make_pipeline(centred_checkpoint)
    updates = list(pipeline.live(FakeSource(frames(20))))
    delay = pipeline.lifter(live=True).delay
    assert delay > 0
    assert all(u.pose is None for u in updates[:delay])
    assert updates[19].pose_frame_index == 19 - delay


def test_live_mode_answers_the_last_half_window_when_the_source_ends(centred_checkpoint):
    updates = list(make_pipeline(centred_checkpoint).live(FakeSource(frames(20))))
    answered = [u.pose_frame_index for u in updates if u.pose is not None]
    assert answered == list(range(20))


def test_live_mode_holds_the_last_pose_while_nobody_is_in_view(causal_checkpoint):
    updates = list(make_pipeline(causal_checkpoint).live(FakeSource(frames(10, blank=(6, 7)))))
    assert updates[6].keypoints_2d is None and updates[6].pose is not None
    assert updates[8].keypoints_2d is not None


def test_live_poses_carry_the_source_frame_index_when_the_first_frames_are_empty(causal_checkpoint):
    updates = list(make_pipeline(causal_checkpoint).live(FakeSource(frames(8, blank=(0, 1, 2)))))
    assert [u.pose_frame_index for u in updates] == [None, None, None, 3, 4, 5, 6, 7]


def test_live_mode_stops_when_cancelled_and_records_every_frame_that_arrived(causal_checkpoint, tmp_path):
    import cv2

    cancel = threading.Event()
    record = tmp_path / "live.mp4"
    seen = 0
    session = make_pipeline(causal_checkpoint).live(FakeSource(frames(30)), cancel=cancel, record=record)
    for _ in session:
        seen += 1
        if seen == 8:
            cancel.set()
    assert seen == 8
    capture = cv2.VideoCapture(str(record))
    recorded = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    assert recorded == session.stats.frames_in and 8 <= recorded < 30  # the camera reads a few frames ahead


class SlowDetector(ScriptedDetector):
    """A detector that needs `seconds` per frame."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def detect(self, image_bgr):
        time.sleep(self.seconds)
        return super().detect(image_bgr)


def test_a_realtime_session_drops_frames_that_arrive_while_busy_instead_of_queueing_them(causal_checkpoint):
    settings = PipelineSettings(checkpoint=str(causal_checkpoint), device="cpu", flip=False)
    pipeline = Pipeline(settings, detector=SlowDetector(0.1))  # 10 frames/s against a 50 fps camera
    session = pipeline.live(FakeSource(frames(50), fps=50), realtime=True)
    updates = list(session)
    stats = session.stats
    assert stats.frames_in == 50 and stats.dropped > 20
    assert stats.processed == len(updates) == stats.frames_in - stats.dropped
    assert updates[-1].dropped == stats.dropped
    assert max(stats.latencies_s) < 0.5  # about one detection (0.1 s) plus waiting for it; never a backlog


def test_an_offline_session_processes_every_frame(causal_checkpoint):
    settings = PipelineSettings(checkpoint=str(causal_checkpoint), device="cpu", flip=False)
    session = Pipeline(settings, detector=SlowDetector(0.01)).live(FakeSource(frames(30), fps=50))
    assert len(list(session)) == 30 and session.stats.dropped == 0


def test_the_thread_switch_interval_is_short_while_the_lifter_loads_and_restored_after(centred_checkpoint):
    import sys

    from pipeline.pipeline import LOAD_SWITCH_INTERVAL_S

    before = sys.getswitchinterval()
    seen = []
    pipeline = Pipeline(PipelineSettings(checkpoint=str(centred_checkpoint)))
    original = pipeline.lifter

    def lifter(live=False):
        seen.append(sys.getswitchinterval())
        return original(live=live)

    pipeline.lifter = lifter  # the loader thread calls it
    pipeline.load_lifter_in_background()
    pipeline._loading.join()
    assert seen == [pytest.approx(min(before, LOAD_SWITCH_INTERVAL_S))]
    assert sys.getswitchinterval() == before
