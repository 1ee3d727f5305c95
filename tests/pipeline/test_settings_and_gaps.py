"""PipelineSettings parsing and the gap filling done before lifting."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.gaps import fill_missing
from pipeline.settings import PipelineSettings, parse_exports


def test_exports_are_checked_and_deduplicated():
    assert parse_exports("csv, BVH,csv") == ("csv", "bvh")
    with pytest.raises(ValueError, match="fbx"):
        parse_exports("csv,fbx")


def test_settings_round_trip_through_a_dict_and_ignore_unknown_keys():
    settings = PipelineSettings(person="2", exports="json", flip=False, smoothing="savgol")
    again = PipelineSettings.from_dict({**settings.to_dict(), "from_a_future_version": 1})
    assert again == settings
    assert again.person == 2


@pytest.mark.parametrize("field,value", [("device", "tpu"), ("smoothing", "magic"), ("live_mode", "fast"),
                                         ("max_frames", 0), ("up", "x")])
def test_bad_settings_raise_a_value_error(field, value):
    with pytest.raises(ValueError):
        PipelineSettings(**{field: value})


def test_missing_frames_hold_the_nearest_valid_frame_and_are_marked():
    keypoints = np.arange(5 * 17 * 2, dtype=np.float32).reshape(5, 17, 2)
    keypoints[[0, 3]] = np.nan
    filled, missing = fill_missing(keypoints)
    assert missing.tolist() == [True, False, False, True, False]
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(filled[0], keypoints[1])
    np.testing.assert_array_equal(filled[3], keypoints[2])  # ties go to the earlier frame


def test_a_joint_missing_in_some_frames_is_held_without_marking_the_frame_missing():
    keypoints = np.ones((4, 17, 2), dtype=np.float32)
    keypoints[:, 5] = np.arange(4)[:, None]
    keypoints[2, 5] = np.nan
    filled, missing = fill_missing(keypoints)
    assert not missing.any()
    assert filled[2, 5, 0] in (1.0, 3.0)


def test_a_joint_never_seen_goes_to_the_centre_of_the_others():
    keypoints = np.zeros((3, 17, 2), dtype=np.float32)
    keypoints[:, :, 0] = np.arange(17)
    keypoints[:, 16] = np.nan
    filled, _ = fill_missing(keypoints)
    np.testing.assert_allclose(filled[:, 16, 0], np.mean(np.arange(16)))


def test_a_track_without_any_keypoint_cannot_be_filled():
    with pytest.raises(ValueError):
        fill_missing(np.full((3, 17, 2), np.nan))


def test_live_mode_picks_the_causal_checkpoint_for_low_latency_and_the_offline_one_for_accuracy():
    settings = PipelineSettings(checkpoint="centred.json", live_checkpoint="causal.json", live_mode="causal")
    assert settings.resolved_checkpoint(live=True).name == "causal.json"
    assert settings.resolved_checkpoint(live=False).name == "centred.json"
    settings.live_mode = "centred"
    assert settings.resolved_checkpoint(live=True).name == "centred.json"


def test_live_causal_mode_uses_the_shipped_causal_model_unless_one_is_chosen(monkeypatch, tmp_path):
    import pipeline.settings as settings_module

    for name in ("default", "live"):
        (tmp_path / f"{name}.json").write_text("{}")
        (tmp_path / f"{name}.safetensors").write_bytes(b"")
    monkeypatch.setattr(settings_module, "MODELS_DIR", tmp_path)
    settings = PipelineSettings(live_mode="causal")
    assert settings.resolved_checkpoint(live=True) == tmp_path / "live.json"
    assert settings.resolved_checkpoint(live=False) == tmp_path / "default.json"
    settings.checkpoint = "mine.json"
    assert settings.resolved_checkpoint(live=True).name == "mine.json"
    settings.live_checkpoint = "my_causal.json"
    assert settings.resolved_checkpoint(live=True).name == "my_causal.json"
