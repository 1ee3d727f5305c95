"""Damaged videos (fewer frames decode than the container declares): the summary, the CLI warnings and the
GUI all say "read K of N frames", whatever K is."""

from __future__ import annotations

import json

import pytest

import detectors
from main import main
from pipeline.pipeline import Pipeline
from pipeline.settings import PipelineSettings
from pipeline.sources import VideoFileSource, short_read_message
from tests.hostile import corpus
from tests.pipeline.helpers import ScriptedDetector, tiny_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt"))


@pytest.fixture(autouse=True)
def scripted_backend(monkeypatch):
    monkeypatch.setattr(detectors, "create_detector", lambda name, **options: ScriptedDetector())


@pytest.mark.parametrize("decodable", [1, 2, 23])
def test_a_damaged_video_yields_what_decodes_and_says_read_k_of_n(tmp_path, decodable):
    path = corpus.damaged_video(tmp_path / "damaged.avi", declared=230, decodable=decodable)
    with VideoFileSource(path) as source:
        assert source.frame_count == 230
        assert len(list(source)) == decodable and source.truncated
    assert short_read_message(str(path), decodable, 230).startswith(f"{path}: read {decodable} of 230 frames")
    assert short_read_message(str(path), 230, 230) is None and short_read_message(str(path), 3, None) is None


@pytest.mark.parametrize("decodable", [1, 23])
def test_process_reports_read_k_of_n_in_the_summary_and_the_warning(tmp_path, capsys, checkpoint, decodable):
    path = corpus.damaged_video(tmp_path / "damaged.avi", declared=230, decodable=decodable)
    code = main(["process", str(path), "--out", str(tmp_path / "out"), "--checkpoint", str(checkpoint),
                 "--export", "json", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"damaged.avi: read {decodable} of 230 frames" in out.splitlines()[0]
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert any(f"damaged.avi: read {decodable} of 230 frames" in line for line in warnings), err
    assert len(json.loads((tmp_path / "out" / "damaged.json").read_text())["joints"]) == decodable


def test_the_json_summary_carries_the_declared_frame_count(tmp_path, capsys, checkpoint):
    path = corpus.damaged_video(tmp_path / "damaged.avi", declared=230, decodable=2)
    assert main(["process", str(path), "--out", str(tmp_path / "out"), "--checkpoint", str(checkpoint),
                 "--export", "json", "--quiet", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames"] == 2 and summary["declared_frames"] == 230
    assert any("read 2 of 230 frames" in warning for warning in summary["warnings"])


def test_an_intact_video_says_nothing_about_reading(tmp_path, checkpoint):
    path = corpus.grey_video(tmp_path / "intact.avi", frames=12)
    settings = PipelineSettings(checkpoint=str(checkpoint), device="cpu", exports="json")
    summary = Pipeline(settings, detector=ScriptedDetector()).process(path).summary
    assert summary.declared_frames is None and not summary.warnings
    assert "intact.avi: 12 frames" in summary.line()


def test_detect_warns_read_k_of_n(tmp_path, capsys):
    path = corpus.damaged_video(tmp_path / "damaged.avi", declared=230, decodable=1)
    assert main(["detect", str(path), "--out", str(tmp_path / "kp.json"), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "damaged.avi: read 1 of 230 frames" in err


def test_webcam_replaying_a_damaged_video_warns_read_k_of_n(tmp_path, capsys, checkpoint):
    path = corpus.damaged_video(tmp_path / "damaged.avi", declared=230, decodable=5)
    assert main(["webcam", "--source", str(path), "--checkpoint", str(checkpoint), "--mode", "centred"]) == 0
    out, err = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["frames"] == 5
    assert any("damaged.avi: read 5 of 230 frames" in warning for warning in summary["warnings"])
    assert "warning:" in err and "damaged.avi: read 5 of 230 frames" in err
