"""`--person all`: everyone seen long enough is lifted into one world frame and exported one file per person."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motion.bones import set_bone_lengths, symmetric_bone_lengths
from motion.bvh_read import read_bvh_h36m
from motion.export_bvh import to_y_up
from motion.export_csv import read_csv, read_csv_missing
from motion.result import load_people
from motion.root_trajectory import guess_focal_length
from pipeline.pipeline import Pipeline
from pipeline.settings import PipelineSettings
from pipeline.sources import FakeSource
from tests.pipeline.helpers import IMAGE_SIZE, FlatLifter, TwoPeopleDetector, frames


def everyone(detector=None, **settings) -> Pipeline:
    return Pipeline(PipelineSettings(person="all", device="cpu", **settings),
                    detector=detector or TwoPeopleDetector(), lifter=FlatLifter())


def test_everyone_seen_long_enough_is_lifted_each_over_their_own_frames():
    detector = TwoPeopleDetector(b_from=5, b_until=35)
    result = everyone(detector, smoothing="none").process(FakeSource(frames(40), fps=25, name="two.mp4"))
    assert [p.person_id for p in result.people] == result.summary.lifted and len(result.people) == 2
    main, other = result.people
    assert (main.first_frame, len(main)) == (0, 40) and main.span == (0, 40)
    assert (other.first_frame, len(other)) == (5, 30) and other.span == (5, 35)
    assert other.motion.joints.shape == (30, 17, 3) and not other.missing.any()
    assert other.motion.metadata["first_frame"] == 5
    assert "2 people lifted" in result.track.extra["target_reason"]


def test_someone_seen_too_briefly_is_not_lifted():
    detector = TwoPeopleDetector(b_from=5, b_until=12)  # 7 frames: under the 20 a 40-frame clip needs
    result = everyone(detector).process(FakeSource(frames(40), fps=25))
    assert len(result.people) == 1
    assert "not lifted, seen under 20 frames" in result.track.extra["target_reason"]


def test_world_positions_keep_the_order_and_distance_seen_in_the_image():
    # A at x = 80 px and 165 px tall; B at x = 220 px and 132 px tall: B is to A's right and further away
    result = everyone(TwoPeopleDetector(b_x=220, b_scale=0.4), smoothing="none").process(
        FakeSource(frames(40), fps=25))
    a, b = (p.motion for p in result.people)
    frame = 20  # both seen; B's frame 15
    root_a, root_b = a.joints[frame, 0], b.joints[frame - result.people[1].first_frame, 0]
    focal = guess_focal_length(IMAGE_SIZE)
    depth_a, depth_b = 1.7 * focal / 165, 1.7 * focal / 132  # size prior: both 1.7 m tall
    assert root_b[0] > root_a[0] + 0.5  # right of A in the image -> right of A in the world (Y up, x right)
    assert root_b[2] < root_a[2] - 0.3  # further from the camera (the world's z points back toward it)
    true_gap = np.hypot(depth_b - depth_a, (220 - 80) / focal * (depth_a + depth_b) / 2)
    assert np.linalg.norm((root_b - root_a)[[0, 2]]) == pytest.approx(true_gap, rel=0.2)
    assert abs(a.joints[frame, [3, 6], 1].min() - b.joints[15, [3, 6], 1].min()) < 0.1  # one floor


def test_each_person_gets_their_own_export_files_that_parse_back(tmp_path):
    detector = TwoPeopleDetector(b_from=5, b_until=35, b_gap=tuple(range(15, 21)))
    result = everyone(detector, exports="bvh,csv,json,npz", max_gap=2).process(
        FakeSource(frames(40), fps=25, name="two.mp4"), tmp_path)
    a, b = result.summary.lifted
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([f"two.person{p}.{fmt}" for p in (a, b) for fmt in ("bvh", "csv", "json", "npz")]
                           + ["two.result.npz"])
    other = result.people[1]
    assert other.missing.sum() == 6  # frames 15..20: longer than max_gap, held and marked
    # BVH: every frame of their span (the missing ones held); joints round-trip within 1 mm (BVH bones are
    # constant: the motion's bones set to their left/right-symmetric lengths first)
    positions, fps = read_bvh_h36m(tmp_path / f"two.person{b}.bvh")
    assert len(positions) == 30 and fps == pytest.approx(25)
    y_up = to_y_up(other.motion)
    expected = set_bone_lengths(y_up, symmetric_bone_lengths(y_up))
    assert np.linalg.norm(positions - expected, axis=-1).max() <= 1e-3
    # CSV: video frame numbers and a missing column
    times, joints, _ = read_csv(tmp_path / f"two.person{b}.csv")
    assert times[0] == pytest.approx(5 / 25) and len(joints) == 30
    assert np.flatnonzero(read_csv_missing(tmp_path / f"two.person{b}.csv")).tolist() == list(range(10, 16))
    # JSON: the missing frames listed as video frames
    record = json.loads((tmp_path / f"two.person{b}.json").read_text())
    assert record["metadata"]["missing_frames"] == list(range(15, 21))
    assert record["metadata"]["person_id"] == b and record["metadata"]["first_frame"] == 5
    # the result file holds everyone with their ids
    people = load_people(tmp_path / "two.result.npz")
    assert [p.person_id for p in people] == [a, b] and people[1].first_frame == 5
    assert np.allclose(people[1].motion.joints, other.motion.joints)


def test_export_picks_one_person_or_everyone_from_a_result_file(tmp_path, capsys):
    from main import main

    everyone(exports="csv").process(FakeSource(frames(40), fps=25, name="two.mp4"), tmp_path)
    people = load_people(tmp_path / "two.result.npz")
    ids = [p.person_id for p in people]
    (tmp_path / "x").mkdir()
    assert main(["export", str(tmp_path / "two.result.npz"), "--out", str(tmp_path / "x" / "all.bvh"),
                 "--person", "all"]) == 0
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == sorted(f"all.person{p}.bvh" for p in ids)
    assert main(["export", str(tmp_path / "two.result.npz"), "--out", str(tmp_path / "one.csv"),
                 "--person", f"#{ids[1]}"]) == 0
    assert len(read_csv(tmp_path / "one.csv")[1]) == 30
    assert main(["export", str(tmp_path / "two.result.npz"), "--out", str(tmp_path / "no.csv"),
                 "--person", "7"]) != 0
    assert "no person #7 in this result" in capsys.readouterr().err


@pytest.mark.parametrize("which", ["centred", "causal"])
def test_everyone_lifted_in_one_call_gets_what_a_call_of_their_own_gives(which, centred_checkpoint,
                                                                         causal_checkpoint):
    checkpoint = {"centred": centred_checkpoint, "causal": causal_checkpoint}[which]
    pipeline = Pipeline(PipelineSettings(person="all", device="cpu", checkpoint=str(checkpoint)),
                        detector=TwoPeopleDetector())
    result = pipeline.process(FakeSource(frames(40), fps=25))
    lifter = pipeline.lifter()
    calls = []
    original = lifter.lift
    lifter.lift = lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs)
    try:
        together = pipeline.lift_people([p.track for p in result.people])
    finally:
        del lifter.lift
    assert len(calls) == 1
    for person, (joints, missing) in zip(result.people, together, strict=True):
        alone, alone_missing = pipeline.lift(person.track)
        np.testing.assert_allclose(joints, alone, atol=1e-5)
        assert (missing == alone_missing).all()


def test_a_real_lifter_lifts_both_people(centred_checkpoint):
    pipeline = Pipeline(PipelineSettings(person="all", device="cpu", checkpoint=str(centred_checkpoint)),
                        detector=TwoPeopleDetector())
    result = pipeline.process(FakeSource(frames(40), fps=25))
    assert [len(p.joints) for p in result.people] == [40, 30]
    assert all(np.isfinite(p.motion.joints).all() for p in result.people)


def test_live_mode_follows_everyone_with_one_model_call_per_frame(causal_checkpoint):
    pipeline = Pipeline(PipelineSettings(person="all", device="cpu", checkpoint=str(causal_checkpoint)),
                        detector=TwoPeopleDetector(b_from=5, b_until=12))
    lifter = pipeline.lifter(live=True)
    calls = []
    original = lifter.push_streams
    lifter.push_streams = lambda streams, keypoints: calls.append(len(streams)) or original(streams, keypoints)
    try:
        updates = list(pipeline.live(FakeSource(frames(40), fps=25)))
    finally:
        del lifter.push_streams
    main = updates[0].person_id
    other = next(pid for pid, _, _ in updates[10].people if pid != main)
    assert set(updates[10].poses) == {main, other} and set(updates[2].poses) == {main}
    assert updates[10].pose is updates[10].poses[main]
    roots = updates[10].roots
    assert set(roots) == {main, other} and all(root[2] > 0.5 for root in roots.values()), "in front of the camera"
    assert set(updates[30].poses) == {main, other}, "held while unseen for under a second (25 frames)"
    assert set(updates[38].poses) == {main}, "unseen for over a second: no longer lifted"
    assert len(calls) == 40 and max(calls) == 2, "one call a frame, both people in it"


def test_pushing_several_streams_together_answers_as_pushing_each(causal_checkpoint, centred_checkpoint):
    from pstmo import Lifter

    rng = np.random.default_rng(0)
    for checkpoint in (causal_checkpoint, centred_checkpoint):
        lifter = Lifter.from_checkpoint(checkpoint, device="cpu")
        tracks = [rng.uniform(50, 250, size=(12, 17, 2)).astype(np.float32) for _ in range(3)]
        alone = [lifter.stream((320, 240)) for _ in tracks]
        together = [lifter.stream((320, 240)) for _ in tracks]
        for t in range(12):
            expected = [stream.push(track[t]) for stream, track in zip(alone, tracks, strict=True)]
            got = lifter.push_streams(together, [track[t] for track in tracks])
            assert [[i for i, _ in answers] for answers in got] == [[i for i, _ in e] for e in expected]
            for answers, wanted in zip(got, expected, strict=True):
                for (_, pose), (_, pose_alone) in zip(answers, wanted, strict=True):
                    np.testing.assert_allclose(pose, pose_alone, atol=1e-5)


@pytest.mark.slow
def test_both_people_of_the_real_sports2d_clip_are_lifted_exported_and_placed_as_seen(shared_dir, default_checkpoint,
                                                                                      tmp_path):
    # the man walking on a box (left in the image) and the woman walking in front (right, nearer the camera)
    pipeline = Pipeline(PipelineSettings(person="all", checkpoint=str(default_checkpoint), max_frames=110,
                                         exports="bvh,csv"))
    result = pipeline.process(shared_dir / "media" / "sports2d_demo.mp4", tmp_path)
    assert len(result.people) == 2
    for person in result.people:
        positions, _ = read_bvh_h36m(tmp_path / f"sports2d_demo.person{person.person_id}.bvh")
        motion = person.export_motion()
        y_up = to_y_up(motion)
        assert np.linalg.norm(positions - set_bone_lengths(y_up, symmetric_bone_lengths(y_up)), axis=-1).max() <= 1e-3
        assert len(read_csv(tmp_path / f"sports2d_demo.person{person.person_id}.csv")[1]) == len(motion)
    a, b = result.people
    both = [f for f in range(*b.span) if a.seen(f) and b.seen(f)]
    assert len(both) > 30
    to_camera = np.asarray(a.motion.metadata["camera_to_world"]["R"])  # the same for both: one camera
    shift = np.asarray(a.motion.metadata["camera_to_world"]["t"])
    roots = [(p.motion.joints[[p.index(f) for f in both], 0] - shift) @ to_camera for p in (a, b)]
    pixels = [p.track.keypoints[[p.index(f) for f in both], 0, 0] for p in (a, b)]
    image_order = np.sign(pixels[1] - pixels[0])
    assert (np.sign(roots[1][:, 0] - roots[0][:, 0]) == image_order).mean() > 0.9
    nearer = np.median(roots[1][:, 2]) < np.median(roots[0][:, 2])
    taller_in_image = np.median(np.ptp(b.track.keypoints[[b.index(f) for f in both], :, 1], axis=1)) > \
        np.median(np.ptp(a.track.keypoints[[a.index(f) for f in both], :, 1], axis=1))
    assert nearer == taller_in_image, "the one who looks bigger (same-size prior) is the nearer one"
    gap_px = np.median(np.abs(pixels[1] - pixels[0]))
    gap_m = np.median(np.abs(roots[1][:, 0] - roots[0][:, 0]))
    depth = np.median(np.concatenate([roots[0][:, 2], roots[1][:, 2]]))
    focal = a.motion.metadata["focal_length_px"]
    assert gap_m == pytest.approx(gap_px * depth / focal, rel=0.35), "sideways distance as the image shows it"


def test_the_floor_scale_option_puts_everyones_feet_on_one_floor_and_says_by_how_much():
    # B is drawn smaller than A but stands on the same image row: with the floor option B's size follows the floor
    detector = TwoPeopleDetector(b_x=220, b_scale=0.4)
    prior = everyone(detector, smoothing="none").process(FakeSource(frames(40), fps=25))
    floor = everyone(TwoPeopleDetector(b_x=220, b_scale=0.4), smoothing="none",
                     people_scale="floor").process(FakeSource(frames(40), fps=25))
    assert "floor_scale" not in prior.people[1].motion.metadata
    factors = [p.motion.metadata.get("floor_scale", 1.0) for p in floor.people]
    assert any(f != 1.0 for f in factors)
    feet = [p.motion.joints[:, [3, 6], 1].min() for p in floor.people]
    assert abs(feet[0] - feet[1]) < 0.05
