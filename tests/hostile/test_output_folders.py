"""Output-folder problems (not writable, a file in the way, disk full) name the folder and the cause in words."""

from __future__ import annotations

import errno
import os

import pytest

import detectors
from main import main
from pstmo import atomic
from pstmo.atomic import check_output_folder, describe_os_error, write_atomically, write_json_atomic
from pstmo.errors import InputError
from tests.hostile import corpus
from tests.pipeline.helpers import ScriptedDetector, tiny_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt"))


def _raise(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize("code, words", [
    (errno.EACCES, "permission denied"), (errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only"),
    (errno.EDQUOT, "quota"), (errno.ENOTDIR, "a file is in the way"),
])
def test_os_errors_are_described_in_words(code, words):
    assert words in describe_os_error(OSError(code, os.strerror(code), "/some/path"))
    assert "Errno" not in describe_os_error(OSError(code, os.strerror(code), "/some/path"))


def test_a_missing_output_folder_is_created_and_an_existing_one_accepted(tmp_path):
    assert check_output_folder(tmp_path / "a" / "b").is_dir()
    assert check_output_folder(tmp_path) == tmp_path
    assert not (tmp_path / "c").exists() and check_output_folder(tmp_path / "c", create=False) == tmp_path / "c"
    assert not (tmp_path / "c").exists()
    assert not list(tmp_path.glob(".pstmo-write-test*")), "the probe leaves nothing behind"


def test_a_file_in_the_way_is_named(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(InputError, match=r"taken: cannot write output here \(a file is in the way"):
        check_output_folder(tmp_path / "taken")
    with pytest.raises(InputError, match=r"taken/deeper: cannot write output here \(.*taken is a file"):
        check_output_folder(tmp_path / "taken" / "deeper", create=False)
    with pytest.raises(InputError, match=r"taken/deeper: cannot create the output folder \(a file is in the way"):
        check_output_folder(tmp_path / "taken" / "deeper")


def test_a_folder_that_cannot_be_written_is_named_with_the_cause(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic.tempfile, "mkstemp", _raise(errno.EACCES))
    with pytest.raises(InputError) as error:
        check_output_folder(tmp_path)
    assert str(error.value) == f"{tmp_path}: cannot write output here (permission denied: not writable)"
    with pytest.raises(InputError, match=r"cannot write output here \(the file system is read-only\)"):
        monkeypatch.setattr(atomic.tempfile, "mkstemp", _raise(errno.EROFS))
        write_json_atomic(tmp_path / "x.json", {})


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_reported_before_writing(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(InputError, match="permission denied"):
            check_output_folder(folder)
    finally:
        folder.chmod(0o755)


def test_a_full_disk_while_writing_names_the_file_and_leaves_no_partial_file(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic.os, "fsync", _raise(errno.ENOSPC))
    target = tmp_path / "motion.json"
    with pytest.raises(InputError) as error:
        write_atomically(target, lambda file: file.write("{}"))
    assert str(error.value) == f"{target}: cannot write (the disk is full)"
    assert list(tmp_path.iterdir()) == []


def test_process_reports_an_unwritable_out_before_any_detection(tmp_path, monkeypatch, capsys, checkpoint):
    def must_not_run(name, **options):
        raise AssertionError("detection started although the output cannot be written")

    monkeypatch.setattr(detectors, "create_detector", must_not_run)
    monkeypatch.setattr(atomic.tempfile, "mkstemp", _raise(errno.EACCES))
    video = corpus.grey_video(tmp_path / "walk.avi")
    out = tmp_path / "out"
    assert main(["process", str(video), "--out", str(out), "--checkpoint", str(checkpoint), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"error: {tmp_path}: cannot write output here (permission denied: not writable)"


def test_process_reports_a_full_disk_naming_the_output_file(tmp_path, monkeypatch, capsys, checkpoint):
    monkeypatch.setattr(detectors, "create_detector", lambda name, **options: ScriptedDetector())
    video = corpus.grey_video(tmp_path / "walk.avi")
    monkeypatch.setattr(atomic.os, "fsync", _raise(errno.ENOSPC))
    out = tmp_path / "out"
    assert main(["process", str(video), "--out", str(out), "--checkpoint", str(checkpoint), "--quiet"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"error: {out / 'walk.result.npz'}: cannot write (the disk is full)"]


def test_a_full_disk_at_an_epoch_checkpoint_names_it_and_keeps_the_previous_epoch(tmp_path, monkeypatch):
    import torch

    from training.run_state import load_latest, save_epoch

    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.Adam(model.parameters())
    generator = torch.Generator().manual_seed(0)

    def save_model(path):
        from safetensors.torch import save_file

        save_file(model.state_dict(), str(path))

    save_epoch(tmp_path, 1, save_model=save_model, optimizer=optimizer, generator=generator, info={"step": 1})
    monkeypatch.setattr(atomic.os, "fsync", _raise(errno.ENOSPC))
    with pytest.raises(InputError, match=r"epoch_0002: cannot write \(the disk is full\)"):
        save_epoch(tmp_path, 2, save_model=save_model, optimizer=optimizer, generator=generator, info={"step": 2})
    folder, info, _ = load_latest(tmp_path)
    assert folder.name == "epoch_0001" and info["epoch"] == 1
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["epoch_0001"]
