"""PipelineSettings parsing."""

from __future__ import annotations

import pytest

from pipeline.settings import PipelineSettings, parse_exports
from pstmo.errors import InputError


def test_person_is_the_trackers_rule_or_an_integer_id_written_as_on_the_video():
    assert PipelineSettings().person == "main"
    assert PipelineSettings(person="auto").person == "main" and PipelineSettings(person="longest").person == "longest"
    assert PipelineSettings(person=" 3 ").person == 3 and PipelineSettings(person="#0").person == 0
    with pytest.raises(InputError, match="person"):
        PipelineSettings(person="bob")


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
                                         ("max_frames", 0), ("up", "x"),
                                         ("people_scale", "tallest"), ("precision", "float16")])
def test_bad_settings_raise_a_value_error(field, value):
    with pytest.raises(ValueError):
        PipelineSettings(**{field: value})


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
