"""CSV, JSON and NPZ exports and the result file: what is written reads back equal, bad input is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motion import Motion, export, load_result, save_result
from motion.export_csv import csv_header, read_csv
from pstmo.errors import InputError
from tracks.track import Track2D


@pytest.fixture
def motion(generated_positions) -> Motion:
    rng = np.random.default_rng(1)
    return Motion(generated_positions(frames=25), fps=25.0, frame="world_y_up", root_relative=False,
                  confidence=rng.uniform(0, 1, (25, 17)), contacts=rng.uniform(0, 1, (25, 2)) > 0.5,
                  metadata={"source_video": "walk.mp4", "detector": "mediapipe",
                            "model_checkpoint": "pstmo.safetensors", "image_size": [1280, 720]})


def test_csv_parsed_back_equals_the_joints_times_and_confidences(motion, tmp_path):
    export(motion, tmp_path / "motion.csv")
    times, joints, confidence = read_csv(tmp_path / "motion.csv")
    assert np.allclose(joints, motion.joints, atol=1e-6)
    assert np.allclose(confidence, motion.confidence, atol=1e-6)
    assert np.allclose(times, np.arange(25) / 25.0)


def test_csv_header_names_frame_time_and_csv_safe_joint_columns(motion, tmp_path):
    export(motion, tmp_path / "motion.csv", confidence=False)
    header = (tmp_path / "motion.csv").read_text().splitlines()[0].split(",")
    assert header[:5] == ["frame", "time_s", "Pelvis_x", "Pelvis_y", "Pelvis_z"]
    assert "NeckNose_x" in header and not any("/" in column for column in header)
    assert len(header) == 2 + 51 and header == csv_header(False)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_json_and_npz_exports_keep_joints_and_metadata(motion, tmp_path, suffix):
    export(motion, tmp_path / f"motion{suffix}")
    loaded, track = load_result(tmp_path / f"motion{suffix}")
    assert track is None
    assert np.allclose(loaded.joints, motion.joints)
    assert np.array_equal(loaded.contacts, motion.contacts)
    assert (loaded.fps, loaded.frame, loaded.root_relative) == (25.0, "world_y_up", False)
    assert loaded.metadata["model_checkpoint"] == "pstmo.safetensors"


def test_json_export_states_units_frame_and_joint_names(motion, tmp_path):
    export(motion, tmp_path / "motion.json")
    record = json.loads((tmp_path / "motion.json").read_text())
    assert record["units"] == "m" and record["fps"] == 25.0 and record["joint_names"][9] == "Neck/Nose"
    assert "Y up" in record["frame_description"]


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_result_file_keeps_the_2d_track_with_its_missing_joints(motion, tmp_path, suffix):
    keypoints = np.random.default_rng(2).uniform(0, 500, (25, 17, 2))
    keypoints[4, 3] = np.nan
    track = Track2D(keypoints, np.ones((25, 17)), image_size=(640, 480), fps=25.0, source="walk.mp4",
                    detector="mediapipe")
    save_result(tmp_path / f"result{suffix}", motion, track)
    _, loaded = load_result(tmp_path / f"result{suffix}")
    assert loaded.image_size == (640, 480) and loaded.detector == "mediapipe"
    assert np.allclose(loaded.keypoints, track.keypoints, equal_nan=True)


def test_export_picks_the_format_from_the_suffix_or_the_format_argument(motion, tmp_path):
    export(motion, tmp_path / "data.txt", format="csv")
    assert (tmp_path / "data.txt").read_text().startswith("frame,time_s,")
    with pytest.raises(InputError, match="unknown export format"):
        export(motion, tmp_path / "data.xyz")


def test_a_failed_export_leaves_the_previous_file_and_no_temporary_files(motion, tmp_path):
    target = tmp_path / "motion.csv"
    target.write_text("previous")
    broken = Motion(np.full((3, 17, 3), np.nan), fps=25.0)
    with pytest.raises(InputError, match="NaN"):
        export(broken, target)
    assert target.read_text() == "previous"
    assert [path.name for path in tmp_path.iterdir()] == ["motion.csv"]


@pytest.mark.parametrize("content", [b"", b"not json", b'{"format": "something-else"}', b"PK\x03\x04 broken"])
def test_foreign_or_corrupt_result_files_raise_input_error_naming_the_file(tmp_path, content):
    for suffix in (".json", ".npz"):
        path = tmp_path / f"bad{suffix}"
        path.write_bytes(content)
        with pytest.raises(InputError, match=f"bad{suffix}"):
            load_result(path)


def test_missing_result_file_and_wrong_suffix_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_result(tmp_path / "absent.npz")
    (tmp_path / "motion.bvh").write_text("HIERARCHY")
    with pytest.raises(InputError, match=".npz or .json"):
        load_result(tmp_path / "motion.bvh")


def _person(motion: Motion, person_id: int, first_frame: int, frames: int) -> tuple[Motion, Track2D]:
    part = Motion(motion.joints[:frames] + [2.0, 0.0, 1.0], motion.fps, motion.frame, False,
                  confidence=motion.confidence[:frames],
                  metadata={"person_id": person_id, "first_frame": first_frame, "missing_frames": [first_frame + 2]})
    keypoints = np.random.default_rng(person_id).uniform(0, 500, (frames, 17, 2))
    return part, Track2D(keypoints, np.ones((frames, 17)), (640, 480), motion.fps, person_id=person_id)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_a_result_file_holds_everyone_with_their_ids_and_first_frames(motion, tmp_path, suffix):
    from motion import load_people

    main = Motion(motion.joints, motion.fps, motion.frame, False, metadata={"person_id": 0})
    others = [_person(motion, 3, 5, 12), _person(motion, 1, 0, 20)]
    save_result(tmp_path / f"all{suffix}", main, None, people=others)
    people = load_people(tmp_path / f"all{suffix}")
    assert [(p.person_id, p.first_frame, len(p.motion)) for p in people] == [(0, 0, 25), (3, 5, 12), (1, 0, 20)]
    assert np.allclose(people[1].motion.joints, others[0][0].joints)
    assert people[1].motion.metadata["missing_frames"] == [7]
    assert np.allclose(people[2].track.keypoints, others[1][1].keypoints) and people[2].track.person_id == 1
    loaded, _ = load_result(tmp_path / f"all{suffix}")  # the main person, as from a one-person file
    assert np.allclose(loaded.joints, main.joints)


def test_a_version_1_result_file_still_loads_as_one_person(motion, tmp_path):
    from motion import load_people

    save_result(tmp_path / "old.json", motion)
    record = json.loads((tmp_path / "old.json").read_text())
    record["version"] = 1
    (tmp_path / "old.json").write_text(json.dumps(record))
    people = load_people(tmp_path / "old.json")
    assert len(people) == 1 and people[0].person_id is None and np.allclose(people[0].motion.joints, motion.joints)


def test_people_without_their_own_id_are_refused(motion, tmp_path):
    from motion import load_people

    main = Motion(motion.joints, motion.fps, motion.frame, False, metadata={"person_id": 0})
    twin, track = _person(motion, 0, 0, 10)
    with pytest.raises(InputError, match="person_id"):
        save_result(tmp_path / "twins.npz", main, people=[(twin, track)])
    save_result(tmp_path / "ok.json", main, people=[_person(motion, 4, 0, 10)])
    record = json.loads((tmp_path / "ok.json").read_text())
    record["people"][0]["id"] = "four"
    (tmp_path / "bad.json").write_text(json.dumps(record))
    with pytest.raises(InputError, match=r"people\[0\]\.id"):
        load_people(tmp_path / "bad.json")


def test_csv_frames_count_from_the_first_frame_a_person_was_seen(motion, tmp_path):
    part, _ = _person(motion, 3, 40, 10)
    export(part, tmp_path / "person3.csv")
    times, _, _ = read_csv(tmp_path / "person3.csv")
    first = (tmp_path / "person3.csv").read_text().splitlines()[1].split(",")[0]
    assert first == "40" and np.allclose(times, np.arange(40, 50) / 25.0)


def test_a_motion_is_cut_to_the_frames_from_the_first_to_the_last_detection(motion):
    marked = Motion(motion.joints[:10], motion.fps, motion.frame, metadata={"first_frame": 40,
                                                                              "missing_frames": [40, 41, 45, 49]})
    seen = marked.seen_part()
    assert len(seen) == 7 and np.allclose(seen.joints, motion.joints[2:9])
    assert seen.metadata["first_frame"] == 42 and seen.metadata["missing_frames"] == [45]
    assert marked.seen_part() is not marked and Motion(motion.joints, motion.fps).seen_part().joints is motion.joints


def test_csv_marks_the_frames_a_person_was_not_detected(motion, tmp_path):
    from motion.export_csv import read_csv_missing

    marked = Motion(motion.joints[:6], motion.fps, motion.frame, metadata={"first_frame": 10, "missing_frames": [12]})
    export(marked, tmp_path / "marked.csv")
    assert read_csv_missing(tmp_path / "marked.csv").tolist() == [False, False, True, False, False, False]
    assert (tmp_path / "marked.csv").read_text().splitlines()[0].endswith(",missing")
    export(Motion(motion.joints[:6], motion.fps, motion.frame), tmp_path / "plain.csv")
    assert read_csv_missing(tmp_path / "plain.csv") is None
