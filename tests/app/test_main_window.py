"""The main window: menus, opening videos (good and bad), keeping the shown result through failures and
cancels, processing feedback, playback, export, settings, help, recent files, drag and drop, live."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PyQt5 import QtCore, QtGui, QtWidgets

from pipeline.pipeline import Pipeline
from pipeline.settings import PipelineSettings
from pipeline.sources import FakeSource
from tests.pipeline.helpers import ScriptedDetector, frames, write_video


def menu_texts(window) -> dict[str, list[str]]:
    menus = {}
    for action in window.menuBar().actions():
        menus[action.text().replace("&", "")] = [a.text().replace("&", "") for a in action.menu().actions()
                                                 if a.text()]
    return menus


def action_for(window, keys: str) -> QtWidgets.QAction:
    """The menu action bound to the shortcut `keys`."""
    wanted = QtGui.QKeySequence(keys)
    for menu in window.menuBar().actions():
        for action in menu.menu().actions():
            if wanted in action.shortcuts():
                return action
    raise AssertionError(f"no action for {keys}")


def process(window, qtbot, path) -> bool:
    with qtbot.waitSignal(window.processing_finished, timeout=60_000) as blocker:
        window.open_video(str(path))
    qtbot.waitUntil(lambda: window.worker is None, timeout=10_000)
    return blocker.args[0]


def shown(window, qtbot, index: int | None = None) -> None:
    """Waits until frame `index` (default: the timeline's) of the result is on screen."""
    index = window.timeline.index if index is None else index
    qtbot.waitUntil(lambda: window.video_view._image is not None and window._wanted_frame == index
                    and window.video_view._note == window.note_at(index)
                    and window.processing_path is None, timeout=10_000)


class SlowDetector(ScriptedDetector):
    def detect(self, image_bgr):
        time.sleep(0.02)
        return super().detect(image_bgr)


@pytest.fixture
def processed(window, qtbot, grey_video):
    """The window showing the processed grey video."""
    assert process(window, qtbot, grey_video) is True
    shown(window, qtbot, 0)
    return window


def state(window) -> tuple:
    return (window.result, window.windowTitle(), window.timeline.frame_count, window.export_action.isEnabled(),
            window.skeleton_view.frame_count)


def test_the_window_offers_file_edit_view_playback_training_and_help_menus(window):
    menus = menu_texts(window)
    assert list(menus) == ["File", "Edit", "View", "Playback", "Training", "Help"]
    assert {"Open video...", "Open webcam...", "Open recent", "Close video", "Export...", "Quit"} <= set(menus["File"])
    assert "Settings..." in menus["Edit"]
    assert {"Reset view", "Follow root", "Root trail"} <= set(menus["View"])
    assert "Train a lifter..." in menus["Training"]
    assert {"User guide", "Keyboard shortcuts", "About P-STMO Studio"} <= set(menus["Help"])
    assert not window.export_action.isEnabled(), "nothing to export before a video is processed"


def test_shortcuts_are_the_conventional_ones(window):
    assert action_for(window, "Ctrl+W") is window.close_video_action, "Ctrl+W closes, it does not open the webcam"
    assert action_for(window, "Ctrl+O") is window.open_action
    assert action_for(window, "Ctrl+0") is window.reset_view_action
    assert action_for(window, "F1").text().replace("&", "") == "User guide"
    assert window.webcam_action.shortcut().toString() == "Ctrl+Shift+O"


def test_opening_a_zero_byte_file_shows_a_readable_message_and_no_result(window, qtbot, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"")
    assert process(window, qtbot, bad) is False
    assert "broken.mp4" in window.last_error and "Traceback" not in window.last_error
    assert window.error_box.isVisible()
    assert window.result is None and window.windowTitle() == "P-STMO Studio"
    assert not window.export_action.isEnabled() and window.timeline.frame_count == 0


def test_a_failed_open_keeps_the_result_on_screen(processed, qtbot, tmp_path):
    window = processed
    window.timeline.set_index(7)
    shown(window, qtbot, 7)
    before = state(window)
    bad = tmp_path / "readme.mp4"
    bad.write_text("not a video")
    assert process(window, qtbot, bad) is False
    assert "readme.mp4" in window.last_error and "still showing walk.mp4" in window.last_error
    assert state(window) == before, "title, timeline, export and views are those of walk.mp4"
    assert window.windowTitle() == "P-STMO Studio - walk.mp4" and window.export_action.isEnabled()
    shown(window, qtbot, 7)
    assert window.video_view._people, "the video view shows walk.mp4's frame again, with its skeletons"
    assert window.timeline.isEnabled()


def test_choosing_mmpose_without_its_model_or_a_stage_i_checkpoint_fails_but_keeps_the_result(
        processed, qtbot, stage1_checkpoint, grey_video, monkeypatch):
    import detectors

    window = processed
    before = state(window)
    for change in ({"detector": "mmpose"}, {"checkpoint": str(stage1_checkpoint)}):
        settings = PipelineSettings.from_dict({**window.pipeline.settings.to_dict(), **change})
        window.pipeline = Pipeline(settings, detector=None if "detector" in change else ScriptedDetector())
        if "detector" in change:
            monkeypatch.setattr(detectors, "create_detector", lambda *a, **k: (_ for _ in ()).throw(
                detectors.InputError("mmpose detector: MMPose is not installed; install it with `make mmpose`")))
        assert process(window, qtbot, grey_video) is False
        assert ("MMPose" if "detector" in change else "Stage I") in window.last_error
        assert state(window) == before


def test_cancel_goes_back_to_the_previous_result(processed, qtbot, tmp_path):
    window = processed
    before = state(window)
    video = write_video(tmp_path / "long.mp4", frames(300))
    window.pipeline = Pipeline(window.pipeline.settings, detector=SlowDetector())
    with qtbot.waitSignal(window.processing_finished, timeout=30_000) as blocker:
        window.open_video(str(video))
        qtbot.waitUntil(lambda: window.video_view._note.startswith("Processing long.mp4"), timeout=10_000)
        window.cancel_button.click()
    assert blocker.args == [False]
    assert window.status_text.text() == "Cancelled; still showing walk.mp4"
    qtbot.waitUntil(lambda: window.worker is None, timeout=10_000)
    assert state(window) == before
    shown(window, qtbot)


def test_cancel_without_a_previous_result_says_so_and_leaves_the_start_screen(window, qtbot, tmp_path):
    video = write_video(tmp_path / "long.mp4", frames(300))
    window.pipeline = Pipeline(window.pipeline.settings, detector=SlowDetector())
    with qtbot.waitSignal(window.processing_finished, timeout=30_000) as blocker:
        window.open_video(str(video))
        qtbot.wait(200)
        window.cancel_button.click()
    assert blocker.args == [False]
    assert window.status_text.text() == "Cancelled"
    assert window.result is None and window.video_view._image is None


def test_processing_previews_its_frames_with_a_readable_progress_bar_and_live_fps(processed, qtbot, tmp_path):
    window = processed
    window.fps_label.setText("99.9 fps processed")
    video = write_video(tmp_path / "long.mp4", frames(120))
    window.pipeline = Pipeline(window.pipeline.settings, detector=SlowDetector())
    window.open_video(str(video))
    assert window.fps_label.text() == "fps -", "the last run's fps is not shown for this one"
    qtbot.waitUntil(lambda: window.progress_bar.text().startswith("Detecting people"), timeout=10_000)
    assert window.progress_bar.isVisible() and window.progress_bar.text().endswith("%")
    assert not window.timeline.isEnabled() and not window.export_action.isEnabled()
    qtbot.waitUntil(lambda: window.video_view._note.startswith("Processing long.mp4"), timeout=10_000)
    assert window.video_view._image is not None
    assert window.video_view._people and window.video_view._people[0][0] is None, "detections, not yet tracked"
    qtbot.waitUntil(lambda: window.fps_label.text().endswith(" fps"), timeout=10_000)
    with qtbot.waitSignal(window.processing_finished, timeout=60_000) as blocker:
        pass
    assert blocker.args == [True]
    assert window.windowTitle() == "P-STMO Studio - long.mp4" and window.timeline.frame_count == 120
    assert window.fps_label.text().endswith("fps processed") and window.fps_label.text() != "99.9 fps processed"


def test_a_video_is_processed_in_the_background_and_shown_with_its_skeletons(processed):
    window = processed
    assert window.result is not None
    assert window.timeline.frame_count == 20
    assert window.skeleton_view.frame_count == 20
    assert window.video_view._people and window.video_view._people[0][1].shape == (17, 2)
    assert window.export_action.isEnabled()
    assert "20 frames" in window.status_text.text()


def test_the_status_bar_says_why_that_person_is_followed(processed):
    text = processed.status_text.text()
    assert "#0 followed: seen in 20 of 20 frames" in text and "height x time" in text
    assert "Target person" in processed.status_text.toolTip()


def test_stepping_and_scrubbing_the_timeline_moves_the_3d_view(processed, qtbot):
    window = processed
    window.timeline.step(1)
    assert window.skeleton_view.current_index == 1
    window.timeline.set_index(15)
    assert window.skeleton_view.current_index == 15
    window.timeline.toggle_play()
    assert window.timeline.playing
    qtbot.waitUntil(lambda: window.timeline.index == 19, timeout=5000)
    qtbot.waitUntil(lambda: not window.timeline.playing, timeout=2000)


def test_home_and_end_go_to_the_first_and_last_frame(processed, qtbot):
    window = processed
    window.timeline.set_index(5)
    action_for(window, "End").trigger()
    assert window.timeline.index == 19 and window.skeleton_view.current_index == 19
    action_for(window, "Home").trigger()
    assert window.timeline.index == 0
    action_for(window, "Shift+Right").trigger()
    assert window.timeline.index == 19, "one second is 30 frames: clamped to the last"


def test_clicking_the_timeline_track_jumps_to_that_frame(processed, qtbot):
    window = processed
    slider = window.timeline.slider
    x = next(x for x in range(slider.width()) if slider.value_at(x) == 15)
    qtbot.mouseClick(slider, QtCore.Qt.LeftButton, pos=QtCore.QPoint(x, slider.height() // 2))
    assert window.timeline.index == 15, "a click jumps there (a plain slider would page by 10)"
    assert window.skeleton_view.current_index == 15


def test_export_writes_only_the_chosen_formats_and_says_where(processed, qtbot, tmp_path):
    window = processed
    settings = PipelineSettings.from_dict({**window.pipeline.settings.to_dict(), "exports": ["bvh", "csv"]})
    window.export(str(tmp_path / "export"), settings)
    qtbot.waitUntil(lambda: bool(window.last_export), timeout=30_000)
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == ["walk.bvh", "walk.csv"]
    assert set(window.last_export) == {"bvh", "csv"}
    assert window.status_text.text() == f"Exported 2 files to {tmp_path / 'export'}: walk.bvh, walk.csv"


def test_export_asks_before_replacing_files_and_remembers_the_choices(processed, qtbot, tmp_path):
    window = processed
    out = tmp_path / "out"
    out.mkdir()
    (out / "walk.json").write_text("old")
    settings = PipelineSettings.from_dict({**window.pipeline.settings.to_dict(), "exports": ["json"],
                                           "up": "z", "smoothing": "butterworth"})
    window.export_to(str(out), settings)
    assert window.overwrite_box.isVisible() and "walk.json" in window.overwrite_box.text()
    window.overwrite_box.button(QtWidgets.QMessageBox.No).click()
    assert window.export_worker is None and (out / "walk.json").read_text() == "old"
    window.export_to(str(out), settings)
    with qtbot.waitSignal(window.overwrite_box.finished):
        window.overwrite_box.button(QtWidgets.QMessageBox.Yes).click()
    qtbot.waitUntil(lambda: window.last_export.get("json") == str(out / "walk.json"), timeout=30_000)
    assert (out / "walk.json").read_text() != "old"
    remembered = window.export_settings()
    assert (remembered.exports, remembered.up, remembered.smoothing) == (("json",), "z", "butterworth")
    assert window.store.value("export_folder") == str(out)


def test_the_default_export_folder_is_beside_the_video_except_inside_the_app(tmp_path):
    from app.main_window import REPO_ROOT, default_export_folder

    assert default_export_folder(str(tmp_path / "clip.mp4")) == str(tmp_path.resolve())
    sample = default_export_folder(str(REPO_ROOT / "assets" / "media" / "sports2d_demo.mp4"))
    assert sample == str(Path.home() / "pstmo_exports"), "never into the app's own folder"


def test_an_export_into_a_file_names_the_folder_and_the_cause(processed, qtbot, tmp_path):
    window = processed
    (tmp_path / "out").write_text("a file where the folder should be")
    window.export(str(tmp_path / "out" / "sub"))
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=30_000)
    assert window.last_error == (f"{tmp_path / 'out' / 'sub'}: cannot create the output folder (a file is in the way: "
                                 f"{tmp_path / 'out'} is a file, not a folder)")
    assert "Errno" not in window.last_error


def test_changing_settings_offers_to_process_the_video_again_and_keeps_the_result(processed, qtbot):
    window = processed
    old_result = window.result
    window.apply_settings(PipelineSettings.from_dict({**window.pipeline.settings.to_dict(), "flip": False}))
    assert window.result is old_result and window.reprocess_box.isVisible()
    assert "walk.mp4" in window.reprocess_box.text()
    with qtbot.waitSignal(window.processing_finished, timeout=60_000) as blocker:
        window.reprocess_box.button(QtWidgets.QMessageBox.Yes).click()
    assert blocker.args == [True] and window.result is not old_result
    window.reprocess_box = None
    window.apply_settings(PipelineSettings.from_dict({**window.pipeline.settings.to_dict(),
                                                      "live_mode": "centred"}))
    assert window.reprocess_box is None, "a change that does not alter the result does not ask"


def test_opened_videos_are_remembered_in_the_recent_menu(processed, grey_video):
    window = processed
    assert window.store.recent_files()[0] == str(Path(grey_video).resolve())
    texts = [a.text() for a in window.recent_menu.actions()]
    assert str(Path(grey_video).resolve()) in texts


def test_a_failed_open_is_not_added_to_the_recent_files(window, qtbot, tmp_path):
    bad = tmp_path / "empty.mp4"
    bad.write_bytes(b"")
    process(window, qtbot, bad)
    assert window.store.recent_files() == []


def test_dropping_a_video_file_on_the_window_opens_it(window, qtbot, grey_video):
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(grey_video))])
    event = QtGui.QDropEvent(QtCore.QPointF(10, 10), QtCore.Qt.CopyAction, mime, QtCore.Qt.LeftButton,
                             QtCore.Qt.NoModifier)
    with qtbot.waitSignal(window.processing_finished, timeout=60_000):
        window.dropEvent(event)
    assert window.video_path == str(grey_video)


def test_opening_while_processing_cancels_the_first_and_processes_the_second(window, qtbot, tmp_path, grey_video):
    video = write_video(tmp_path / "long.mp4", frames(300))
    window.pipeline = Pipeline(window.pipeline.settings, detector=SlowDetector())
    window.open_video(str(video))
    qtbot.wait(200)
    window.pipeline = Pipeline(window.pipeline.settings, detector=ScriptedDetector())
    window.open_video(str(grey_video))
    qtbot.waitUntil(lambda: window.result is not None, timeout=60_000)
    assert window.video_path == str(grey_video) and window.timeline.frame_count == 20


def test_close_video_returns_to_the_start_screen(processed):
    window = processed
    window.close_video_action.trigger()
    assert window.result is None and window.windowTitle() == "P-STMO Studio"
    assert window.timeline.frame_count == 0 and not window.export_action.isEnabled()


def test_live_mode_draws_each_frame_and_shows_the_latency_then_the_result_again(processed, qtbot, checkpoints):
    window = processed
    result = window.result
    settings = PipelineSettings(checkpoint=str(checkpoints["causal"]), device="cpu")
    window.pipeline = Pipeline(settings, detector=ScriptedDetector())
    window.start_live(FakeSource(frames(25), fps=30))
    qtbot.waitUntil(lambda: window.live_worker is None, timeout=30_000)
    assert window.live_updates > 0
    assert window.latency_label.text().endswith(" ms")
    assert "fps" in window.fps_label.text()
    assert window.skeleton_view.bones.visible()
    assert window.result is result and window.windowTitle() == "P-STMO Studio - walk.mp4"
    assert window.skeleton_view.frame_count == 20, "the processed result is shown again"


def test_the_settings_survive_a_restart(window, checkpoints):
    from app.main_window import MainWindow

    settings = PipelineSettings(checkpoint=str(checkpoints["causal"]), person=3, flip=False)
    window.apply_settings(settings)
    again = MainWindow(store=window.store)
    assert again.pipeline.settings.person == 3 and again.pipeline.settings.flip is False
    again.close()


def test_people_at_lists_every_tracked_person_with_an_id(processed):
    window = processed
    people = window.people_at(3)
    assert [pid for pid, _, _ in people] == [window.result.track.person_id]
    assert not np.isnan(people[0][1]).any()


def test_a_frame_without_the_lifted_person_says_its_3d_pose_is_held(processed, qtbot):
    window = processed
    window.result.missing[4] = True
    window.timeline.set_index(4)
    shown(window, qtbot, 4)
    assert "not detected" in window.video_view._note
    window.timeline.set_index(5)
    shown(window, qtbot, 5)
    assert window.video_view._note == ""


def test_the_help_menu_has_a_guide_a_shortcut_list_and_the_version(window, qtbot):
    from app.help import app_version

    window.show_guide()
    text = window.guide.browser.toPlainText()
    for topic in ("Open a video", "Pick the person", "Live mode", "Export to Blender", "Train"):
        assert topic in text, topic
    window.show_shortcuts()
    rows = {window.shortcuts.table.item(r, 0).text(): window.shortcuts.table.item(r, 1).text()
            for r in range(window.shortcuts.table.rowCount())}
    assert rows["First frame"] == "Home" and rows["Last frame"] == "End" and rows["Reset view"] == "Ctrl+0"
    assert "Orbit the 3D view" in rows
    window.about()
    assert app_version() != "unknown" and app_version() in window.about_box.text()


def test_opening_a_webcam_that_is_not_there_shows_a_readable_message(window, monkeypatch):
    from app.dialogs import WebcamDialog

    monkeypatch.setattr(WebcamDialog, "exec_", lambda self: QtWidgets.QDialog.Accepted)
    monkeypatch.setattr(WebcamDialog, "size_wh", lambda self: (640, 480))
    window.open_webcam_dialog()
    assert window.last_error and "webcam" in window.last_error
    assert window.live_worker is None


def test_the_gui_thread_never_waits_long_on_open_scrub_or_export(window, qtbot, grey_video, tmp_path):
    def took(call) -> float:
        start = time.perf_counter()
        call()
        return time.perf_counter() - start

    assert took(lambda: window.open_video(str(grey_video))) < 0.1, "models load in the worker"
    qtbot.waitUntil(lambda: window.result is not None and window.worker is None, timeout=60_000)
    assert max(took(lambda i=i: window.timeline.set_index(i)) for i in (19, 0, 10, 3, 15)) < 0.1
    assert took(lambda: window.export(str(tmp_path / "out"))) < 0.1
    qtbot.waitUntil(lambda: bool(window.last_export), timeout=30_000)


def test_a_recorded_live_take_stays_on_screen_over_its_recording_ready_for_export(window, qtbot, checkpoints,
                                                                                  tmp_path):
    settings = PipelineSettings(checkpoint=str(checkpoints["causal"]), device="cpu", exports="csv")
    window.pipeline = Pipeline(settings, detector=ScriptedDetector())
    recording = tmp_path / "take.mp4"
    window.start_live(FakeSource(frames(25), fps=30), record=str(recording))
    qtbot.waitUntil(lambda: window.live_worker is None, timeout=30_000)
    assert recording.is_file() and window.video_path == str(recording)
    assert len(window.result.track) == 25 and window.result.motion.joints.shape == (25, 17, 3)
    assert window.status_text.text().startswith("Live take kept: take.mp4, 25 frames")
    window.export(str(tmp_path / "out"), settings)
    qtbot.waitUntil(lambda: bool(window.last_export), timeout=30_000)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["take.csv"]
