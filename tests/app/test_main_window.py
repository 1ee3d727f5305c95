"""The main window: menus, opening videos (good and bad), playback, export, recent files, drag and drop, live."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PyQt5 import QtCore, QtGui

from pipeline.pipeline import Pipeline
from pipeline.settings import PipelineSettings
from pipeline.sources import FakeSource
from tests.pipeline.helpers import ScriptedDetector, frames


def menu_texts(window) -> dict[str, list[str]]:
    menus = {}
    for action in window.menuBar().actions():
        menus[action.text().replace("&", "")] = [a.text().replace("&", "") for a in action.menu().actions()
                                                 if a.text()]
    return menus


def process(window, qtbot, path) -> bool:
    with qtbot.waitSignal(window.processing_finished, timeout=60_000) as blocker:
        window.open_video(str(path))
    qtbot.waitUntil(lambda: window.worker is None, timeout=10_000)
    return blocker.args[0]


def test_the_window_offers_file_edit_view_playback_training_and_help_menus(window):
    menus = menu_texts(window)
    assert list(menus) == ["File", "Edit", "View", "Playback", "Training", "Help"]
    assert {"Open video...", "Open webcam...", "Open recent", "Export...", "Quit"} <= set(menus["File"])
    assert "Settings..." in menus["Edit"]
    assert "Train a lifter..." in menus["Training"]
    assert not window.export_action.isEnabled(), "nothing to export before a video is processed"


def test_opening_a_zero_byte_file_shows_a_readable_message_and_no_result(window, qtbot, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"")
    assert process(window, qtbot, bad) is False
    assert "broken.mp4" in window.last_error and "Traceback" not in window.last_error
    assert window.error_box.isVisible()
    assert window.result is None


def test_opening_a_text_file_named_mp4_shows_a_readable_message(window, qtbot, tmp_path):
    bad = tmp_path / "readme.mp4"
    bad.write_text("not a video")
    assert process(window, qtbot, bad) is False
    assert "readme.mp4" in window.last_error


def test_a_video_is_processed_in_the_background_and_shown_with_its_skeletons(window, qtbot, grey_video):
    assert process(window, qtbot, grey_video) is True
    assert window.result is not None
    assert window.timeline.frame_count == 20
    assert window.skeleton_view.frame_count == 20
    assert window.video_view._people and window.video_view._people[0][1].shape == (17, 2)
    assert window.export_action.isEnabled()
    assert "20 frames" in window.status_text.text()


def test_stepping_and_scrubbing_the_timeline_moves_the_3d_view(window, qtbot, grey_video):
    process(window, qtbot, grey_video)
    window.timeline.step(1)
    assert window.skeleton_view.current_index == 1
    window.timeline.set_index(15)
    assert window.skeleton_view.current_index == 15
    window.timeline.toggle_play()
    assert window.timeline.playing
    qtbot.waitUntil(lambda: window.timeline.index == 19, timeout=5000)
    qtbot.waitUntil(lambda: not window.timeline.playing, timeout=2000)


def test_export_writes_the_chosen_formats_off_the_gui_thread(window, qtbot, grey_video, tmp_path):
    process(window, qtbot, grey_video)
    settings = PipelineSettings.from_dict({**window.pipeline.settings.to_dict(), "exports": ["bvh", "npz"]})
    worker = window.export(str(tmp_path / "export"), settings)
    with qtbot.waitSignal(worker.done, timeout=30_000):
        pass
    assert (tmp_path / "export" / "walk.bvh").is_file()
    assert (tmp_path / "export" / "walk.npz").is_file()
    assert set(window.last_export) == {"result", "bvh", "npz"}


def test_opened_videos_are_remembered_in_the_recent_menu(window, qtbot, grey_video):
    process(window, qtbot, grey_video)
    assert window.store.recent_files()[0] == str(Path(grey_video).resolve())
    texts = [a.text() for a in window.recent_menu.actions()]
    assert str(Path(grey_video).resolve()) in texts


def test_dropping_a_video_file_on_the_window_opens_it(window, qtbot, grey_video):
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(grey_video))])
    event = QtGui.QDropEvent(QtCore.QPointF(10, 10), QtCore.Qt.CopyAction, mime, QtCore.Qt.LeftButton,
                             QtCore.Qt.NoModifier)
    with qtbot.waitSignal(window.processing_finished, timeout=60_000):
        window.dropEvent(event)
    assert window.video_path == str(grey_video)


def test_cancel_stops_processing_and_says_so(window, qtbot, tmp_path):
    import time

    class SlowDetector(ScriptedDetector):
        def detect(self, image_bgr):
            time.sleep(0.02)
            return super().detect(image_bgr)

    from tests.pipeline.helpers import write_video

    video = write_video(tmp_path / "long.mp4", frames(300))
    window.pipeline = Pipeline(window.pipeline.settings, detector=SlowDetector())
    with qtbot.waitSignal(window.processing_finished, timeout=30_000) as blocker:
        window.open_video(str(video))
        qtbot.wait(200)
        window.cancel_button.click()
    assert blocker.args == [False]
    assert window.status_text.text() == "Cancelled"
    assert window.result is None


def test_live_mode_draws_each_frame_and_shows_the_latency(window, qtbot, checkpoints):
    settings = PipelineSettings(checkpoint=str(checkpoints["causal"]), device="cpu")
    window.pipeline = Pipeline(settings, detector=ScriptedDetector())
    window.start_live(FakeSource(frames(25), fps=30))
    qtbot.waitUntil(lambda: window.live_worker is None, timeout=30_000)
    assert window.live_updates > 0
    assert window.latency_label.text().endswith(" ms")
    assert "fps" in window.fps_label.text()
    assert window.video_view._image is not None
    assert window.skeleton_view.bones.visible()


def test_the_settings_survive_a_restart(window, checkpoints):
    from app.main_window import MainWindow

    settings = PipelineSettings(checkpoint=str(checkpoints["causal"]), person=3, flip=False)
    window.apply_settings(settings)
    again = MainWindow(store=window.store)
    assert again.pipeline.settings.person == 3 and again.pipeline.settings.flip is False
    again.close()


def test_people_at_lists_every_tracked_person_with_an_id(window, qtbot, grey_video):
    process(window, qtbot, grey_video)
    people = window.people_at(3)
    assert [pid for pid, _, _ in people] == [window.result.track.person_id]
    assert not np.isnan(people[0][1]).any()


def test_a_frame_without_the_lifted_person_says_its_3d_pose_is_held(window, qtbot, grey_video):
    process(window, qtbot, grey_video)
    window.result.missing[4] = True
    window.timeline.set_index(4)
    assert "not detected" in window.video_view._note
    window.timeline.set_index(5)
    assert window.video_view._note == ""


def test_opening_a_webcam_that_is_not_there_shows_a_readable_message(window, monkeypatch):
    from PyQt5 import QtWidgets

    from app.dialogs import WebcamDialog

    monkeypatch.setattr(WebcamDialog, "exec_", lambda self: QtWidgets.QDialog.Accepted)
    monkeypatch.setattr(WebcamDialog, "size_wh", lambda self: (640, 480))
    window.open_webcam_dialog()
    assert window.last_error and "webcam" in window.last_error
    assert window.live_worker is None
