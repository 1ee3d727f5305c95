"""Under Xvfb (pytest-xvfb provides DISPLAY): the real sample video is processed, exported and screenshotted,
and the PNG shows the video and a coloured skeleton in the 3D pane."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PyQt5 import QtGui

from app.colors import LEFT_RGB, RIGHT_RGB
from pipeline.settings import PipelineSettings, default_checkpoint

pytestmark = [pytest.mark.gl, pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X server (Xvfb)")]


def png_rgb(path: Path) -> np.ndarray:
    image = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format_RGB888)
    ptr = image.constBits()
    ptr.setsize(image.byteCount())
    rows = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3).copy()  # outlive `image`


def near(pixels: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    return int((np.abs(pixels.astype(int) - np.array(rgb)).max(axis=-1) <= tolerance).sum())


def test_the_sample_video_is_processed_exported_and_screenshotted_with_a_coloured_skeleton(qtbot, tmp_path,
                                                                                          shared_dir, checkpoints):
    from app.main_window import MainWindow
    from app.store import AppStore

    checkpoint = default_checkpoint() or checkpoints["centred"]
    settings = PipelineSettings(checkpoint=str(checkpoint), device="cpu", max_frames=20, exports="csv")
    window = MainWindow(store=AppStore(), settings=settings)
    qtbot.addWidget(window)
    window.resize(1400, 800)
    window.show()
    with qtbot.waitSignal(window.processing_finished, timeout=120_000) as blocker:
        window.open_video(str(shared_dir / "media" / "sports2d_demo.mp4"))
    assert blocker.args == [True], window.last_error
    worker = window.export(str(tmp_path / "out"))
    with qtbot.waitSignal(worker.done, timeout=30_000):
        pass
    assert (tmp_path / "out" / "sports2d_demo.csv").is_file()

    with qtbot.waitSignal(window.frame_shown, timeout=30_000):  # frames are decoded in the background
        window.timeline.set_index(window.best_frame())
    shot = window.save_screenshot(tmp_path / "window.png")
    pixels = png_rgb(shot)
    assert pixels.shape[:2] == (window.height(), window.width())
    assert pixels.std() > 20, "the screenshot is not blank"

    pane = window.skeleton_view.view
    top_left = pane.mapTo(window, pane.rect().topLeft())
    region = pixels[top_left.y(): top_left.y() + pane.height(), top_left.x(): top_left.x() + pane.width()].copy()
    legend = window.skeleton_view.legend.geometry()  # its colour swatches are not the rendered skeleton
    region[: legend.bottom() + 1, : legend.right() + 1] = 0
    assert near(region, LEFT_RGB) > 30, "left-side (blue) bones are drawn in the 3D pane"
    assert near(region, RIGHT_RGB) > 30, "right-side (red) bones are drawn in the 3D pane"
    window.close()


def test_gui_command_saves_a_screenshot_and_exits_with_an_error_code_for_a_video_with_nobody(tmp_path, qtbot,
                                                                                          checkpoints):
    import main
    from tests.pipeline.helpers import frames, write_video

    video = write_video(tmp_path / "nobody.mp4", frames(5))
    shot = tmp_path / "shot.png"
    code = main.main(["gui", str(video), "--checkpoint", str(checkpoints["centred"]), "--screenshot", str(shot),
                      "--exit-when-done", "--size", "900x500", "--timeout", "60"])
    assert code == 1
    assert shot.is_file() and png_rgb(shot).shape[:2] == (500, 900)


def test_gui_command_can_replay_a_video_through_live_mode(tmp_path, qtbot, checkpoints):
    import main
    from tests.pipeline.helpers import frames, write_video

    video = write_video(tmp_path / "replay.mp4", frames(6))
    shot = tmp_path / "live.png"
    code = main.main(["gui", str(video), "--live", "--checkpoint", str(checkpoints["causal"]), "--screenshot",
                      str(shot), "--exit-when-done", "--size", "800x450", "--timeout", "60"])
    assert code == 0
    assert shot.is_file()
