"""The default MediaPipe BlazePose backend on real images and videos (offline models from the wheel)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mediapipe", reason="mediapipe is not installed (see requirements-nodeps.txt)")

from detectors import create_detector, detect_video  # noqa: E402
from detectors.evaluation import evaluate  # noqa: E402
from pipeline.sources import VideoFileSource  # noqa: E402


@pytest.fixture(scope="module")
def detector():
    with create_detector("mediapipe") as detector:
        yield detector


def test_h36m_frames_are_within_9_px_mean_after_calibrated_conversion(shared_dir):
    calibrated = evaluate("mediapipe", samples=shared_dir / "data" / "h36m_samples")
    plain = evaluate("mediapipe", plain=True, samples=shared_dir / "data" / "h36m_samples")
    assert calibrated["frames_without_person"] == 0
    assert calibrated["mean_px"] <= 9.0
    assert calibrated["mean_px"] < plain["mean_px"]
    for joint in ("Pelvis", "RHip", "LHip", "Spine", "Thorax"):
        assert calibrated["per_joint_px"][joint] < plain["per_joint_px"][joint]


@pytest.mark.parametrize("image", [np.zeros((480, 640, 3), np.uint8), np.full((4, 4, 3), 200, np.uint8),
                                   np.zeros((480, 640), np.uint8)])
def test_blank_tiny_or_malformed_frames_give_nobody(detector, image):
    detector.reset()
    assert detector.detect(image) == []


@pytest.mark.slow
def test_both_people_of_the_sports2d_demo_are_tracked_without_id_switches(shared_dir, detector):
    with VideoFileSource(shared_dir / "media" / "sports2d_demo.mp4") as source:
        result = detect_video(source, detector)
    long_tracks = [r for r in result.tracks.values() if r.length >= 100]
    assert len(long_tracks) == 2
    people = [r for r in result.tracks.values() if r.length >= 5]  # shorter tracks are detector noise
    assert len(people) == 2  # the man lost mid-jump off the wall is stitched back to his own track
    first, second = (set(r.frames) for r in long_tracks)
    assert len(first & second) >= 80  # both in view at once, with separate IDs
    assert result.id_switches == []
    assert result.target_id in {r.track_id for r in long_tracks}


def test_the_main_person_of_the_pose2sim_clip_is_chosen(shared_dir, detector):
    with VideoFileSource(shared_dir / "media" / "pose2sim_cam01.mp4") as source:
        assert source.image_size == (1080, 1920)

        class FirstFrames:
            name, fps, image_size, frame_count = source.name, source.fps, source.image_size, 20

            def __iter__(self):
                for frame in source:
                    if frame.index >= 20:
                        return
                    yield frame

        result = detect_video(FirstFrames(), detector)
    chosen = result.tracks[result.target_id]
    assert chosen.median_height > 0.35 * 1920
    assert result.missing_frames == []
    centre_x = np.nanmean(result.track.keypoints[:, :, 0])
    assert 200 < centre_x < 900


@pytest.mark.slow
def test_a_person_who_walks_out_of_the_frame_and_back_keeps_their_id(shared_dir):
    from benchmarks.clips import exit_and_return
    from pipeline.sources import FakeSource

    frames = exit_and_return(frames=300, leave=80, slide=30, away=80)  # gone for 80 frames (1.6 s)
    with create_detector("mediapipe") as detector:
        result = detect_video(FakeSource(frames, fps=50, name="exit"), detector)
    people = [r for r in result.tracks.values() if r.length >= 5]
    assert len(people) == 1
    assert result.relinks == []  # not repaired offline: the live tracker already knew them
    seen = set(people[0].frames)
    assert min(seen) <= 2 and max(seen) == 299
    assert not seen & set(range(130, 180))  # really gone meanwhile


def test_detector_passes_beside_the_focused_landmarks_find_the_same_people_as_one_after_the_other(shared_dir):
    """parallel=True (default) runs the detector pass and the other people's landmarks in a second thread."""
    results = []
    for parallel in (False, True):
        with create_detector("mediapipe", parallel=parallel) as detector, \
                VideoFileSource(shared_dir / "media" / "sports2d_demo.mp4") as source:
            people = []
            for frame in source:
                if frame.index >= 60:
                    break
                found = detector.detect(frame.image)
                detector.set_focus([found[0].box] if found else [])  # one person in focus, the other not
                people.append([(p.keypoints, p.held) for p in found])
            results.append((people, dict(detector.runs)))
    (serial, serial_runs), (parallel, parallel_runs) = results
    assert serial_runs == parallel_runs and serial_runs["detector"] >= 6
    assert sum(len(frame) == 2 for frame in serial) >= 10  # both people in view
    assert any(held for frame in serial for _, held in frame)  # the unfocused person was held between passes
    for one, other in zip(serial, parallel, strict=True):
        assert [held for _, held in one] == [held for _, held in other]
        for (a, _), (b, _) in zip(one, other, strict=True):
            np.testing.assert_array_equal(a, b)
