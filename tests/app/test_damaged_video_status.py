"""The GUI's status line for a damaged video says "read K of N frames", like the CLI."""

from __future__ import annotations

import pytest

from tests.hostile import corpus


@pytest.mark.parametrize("decodable", [1, 23])
def test_the_status_line_says_read_k_of_n_frames(window, qtbot, tmp_path, decodable):
    path = corpus.damaged_video(tmp_path / "damaged.avi", declared=230, decodable=decodable)
    with qtbot.waitSignal(window.processing_finished, timeout=60_000) as blocker:
        window.open_video(str(path))
    qtbot.waitUntil(lambda: window.worker is None, timeout=10_000)
    assert blocker.args[0] is True, window.last_error
    assert f"read {decodable} of 230 frames" in window.status_text.text()
