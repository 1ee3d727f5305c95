"""What a user sees when something fails: bad input as `error: <file>: <problem>` (exit 1); anything else as
one line that calls it a bug (exit 70), never a traceback unless PSTMO_DEBUG=1."""

from __future__ import annotations

import pytest

import motion.cli
from main import main
from motion import Motion, export
from pstmo.errors import EXIT_BUG, EXIT_INPUT_ERROR, InputError, one_line


def _fail_with(monkeypatch, error: BaseException) -> None:
    def run(args):
        raise error

    monkeypatch.setattr(motion.cli, "run", run)


def test_bad_input_is_one_line_naming_the_file_with_exit_code_1(tmp_path, capsys):
    missing = tmp_path / "absent.npz"
    assert main(["export", str(missing), "--out", str(tmp_path / "x.csv")]) == EXIT_INPUT_ERROR == 1
    err = capsys.readouterr().err
    assert err == f"error: {missing}: file not found\n"


@pytest.mark.parametrize("error", [RuntimeError("boom"), ValueError("boom"), OSError(5, "boom"),
                                   TypeError("boom"), KeyError("boom")])
def test_an_unexpected_exception_is_one_line_saying_it_is_a_bug_with_exit_code_70(monkeypatch, tmp_path, capsys,
                                                                                      error):
    monkeypatch.delenv("PSTMO_DEBUG", raising=False)
    _fail_with(monkeypatch, error)
    assert main(["export", "in.npz", "--out", str(tmp_path / "x.csv")]) == EXIT_BUG == 70
    err = capsys.readouterr().err
    assert err.startswith(f"internal error (a bug): {type(error).__name__}: ") and "boom" in err
    assert err.endswith("; run with PSTMO_DEBUG=1 for the traceback\n") and err.count("\n") == 1
    assert "Traceback" not in err


def test_with_pstmo_debug_the_exception_and_its_traceback_come_through(monkeypatch, tmp_path):
    monkeypatch.setenv("PSTMO_DEBUG", "1")
    _fail_with(monkeypatch, RuntimeError("boom"))
    with pytest.raises(RuntimeError, match="boom"):
        main(["export", "in.npz", "--out", str(tmp_path / "x.csv")])


def test_one_line_keeps_only_the_first_line_of_a_bugs_message():
    assert one_line(InputError("clip.mp4: not a video")) == "clip.mp4: not a video"
    assert one_line(RuntimeError("first\nsecond")).startswith("internal error (a bug): RuntimeError: first;")
    assert one_line(AssertionError()) == ("internal error (a bug): AssertionError; "
                                          "run with PSTMO_DEBUG=1 for the traceback")


def test_an_unknown_export_option_is_bad_input_but_a_type_error_inside_a_writer_is_a_bug(tmp_path, monkeypatch,
                                                                                           generated_motion):
    with pytest.raises(InputError, match="bad option for csv export"):
        export(generated_motion, tmp_path / "a.csv", colour="red")

    def broken_writer(motion, path, precision=6, confidence=True):
        raise TypeError("a bug inside the writer")

    monkeypatch.setattr("motion.export_csv.write_csv", broken_writer)
    with pytest.raises(TypeError, match="a bug inside the writer"):
        export(generated_motion, tmp_path / "b.csv")


@pytest.fixture
def generated_motion() -> Motion:
    import numpy as np

    return Motion(np.random.default_rng(0).normal(0, 0.3, (4, 17, 3)), fps=25.0)
