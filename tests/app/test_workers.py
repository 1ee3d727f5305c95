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


def test_the_preview_detector_passes_the_tracking_focus_to_the_real_backend():
    import numpy as np

    from app.workers import PreviewDetector
    from tests.pipeline.helpers import ScriptedDetector

    class Focused(ScriptedDetector):
        focus: list | None = None

        def set_focus(self, boxes):
            self.focus = boxes

    inner = Focused()
    shown = []
    preview = PreviewDetector(inner, lambda *args: shown.append(args), interval_s=0.0)
    box = np.array([10.0, 20.0, 110.0, 220.0])
    preview.set_focus([box])
    assert inner.focus is not None and np.array_equal(inner.focus[0], box)
    preview.detect(np.zeros((64, 64, 3), np.uint8))
    assert len(shown) == 1
