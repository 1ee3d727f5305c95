"""A failure in background work reaches the GUI as one line: bad input as its message, anything else as a bug."""

from __future__ import annotations

from app.workers import CallWorker
from pstmo.errors import InputError


def _failures(*errors: BaseException) -> list[str]:
    messages: list[str] = []
    for error in errors:
        def fail(error=error):
            raise error

        worker = CallWorker(fail)
        worker.failed.connect(messages.append)
        worker.run()  # in this thread: the signal reaches `messages` directly
    return messages


def test_bad_input_shows_its_message_and_a_bug_says_it_is_one_without_a_traceback(qtbot, monkeypatch, capsys):
    monkeypatch.delenv("PSTMO_DEBUG", raising=False)
    assert _failures(InputError("clip.mp4: not a video"), ValueError("boom"), OSError(5, "boom")) == [
        "clip.mp4: not a video",
        "internal error (a bug): ValueError: boom; run with PSTMO_DEBUG=1 for the traceback",
        "internal error (a bug): OSError: [Errno 5] boom; run with PSTMO_DEBUG=1 for the traceback",
    ]
    assert "Traceback" not in capsys.readouterr().err


def test_with_pstmo_debug_the_traceback_goes_to_stderr(qtbot, monkeypatch, capsys):
    monkeypatch.setenv("PSTMO_DEBUG", "1")
    assert _failures(RuntimeError("boom"))[0].startswith("internal error (a bug): RuntimeError: boom")
    assert "Traceback" in capsys.readouterr().err
