"""Atomic writes: a reader sees the old file or the whole new one, never a part, and no temporary is left."""

from __future__ import annotations

import pytest

from pstmo.atomic import PendingFile, atomic_path, check_output_folder
from pstmo.errors import InputError


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("writer crashed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_pending_file_appears_only_on_commit_and_vanishes_on_discard(tmp_path):
    kept = PendingFile(tmp_path / "sub" / "clip.mp4", create_folder=True, suffix=".mp4")
    kept.temporary.write_bytes(b"frames")
    assert kept.temporary.suffix == ".mp4" and not (tmp_path / "sub" / "clip.mp4").exists()
    kept.commit()
    dropped = PendingFile(tmp_path / "sub" / "empty.mp4", suffix=".mp4")
    dropped.discard()
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["clip.mp4"]
    assert (tmp_path / "sub" / "clip.mp4").read_bytes() == b"frames"


def test_an_os_error_while_writing_is_an_input_error_naming_the_file(tmp_path):
    blocker = tmp_path / "results"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(InputError, match=rf"{blocker / 'run'}: cannot create the output folder \(a file is in the way"):
        check_output_folder(blocker / "run")
    with pytest.raises(InputError, match=r"out.npz: cannot write \(the disk is full\)"), \
            atomic_path(tmp_path / "out.npz") as temporary:
        raise OSError(28, "No space left on device", str(temporary))
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
