"""A multi-person result in the window: everyone drawn in 3D with their id in their overlay colour, clicking a
person (in the video or the 3D view) selects them for the timeline and Export."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PyQt5 import QtCore, QtGui, QtWidgets

from app.colors import person_rgb
from pipeline.pipeline import Pipeline
from pipeline.settings import PipelineSettings
from tests.pipeline.helpers import TwoPeopleDetector, frames, write_video


@pytest.fixture(scope="module")
def two_people_video(tmp_path_factory) -> str:
    return str(write_video(tmp_path_factory.mktemp("video") / "two.mp4", frames(40)))


@pytest.fixture
def both(window, qtbot, checkpoints, two_people_video):
    """The window showing a `--person all` result of two people: A over the whole video, B in frames 5-34."""
    settings = PipelineSettings(checkpoint=str(checkpoints["centred"]), device="cpu", exports="csv,bvh", person="all")
    window.pipeline = Pipeline(settings, detector=TwoPeopleDetector(b_from=5, b_until=35))
    with qtbot.waitSignal(window.processing_finished, timeout=60_000) as blocker:
        window.open_video(two_people_video)
    assert blocker.args[0] is True
    qtbot.waitUntil(lambda: window.worker is None, timeout=10_000)
    window.timeline.set_index(20)
    qtbot.waitUntil(lambda: window.video_view._image is not None and window._wanted_frame == 20
                    and window.processing_path is None and len(window.video_view._people) == 2, timeout=10_000)
    return window


def test_everyone_is_drawn_in_3d_and_labelled_with_their_id_in_their_overlay_colour(both):
    window = both
    a, b = window.result.summary.lifted
    view = window.skeleton_view
    assert view.people_shown == [a, b] and view.selected == a
    for pid in (a, b):
        label = view._figures[pid].label
        tag = label.grab().toImage()
        assert label.text() == f"#{pid}" and QtGui.QColor(tag.pixel(2, tag.height() // 2)).getRgb()[:3] == \
            person_rgb(pid)
        head = view.poses_on_screen()[pid][10]
        centre = label.geometry().center()
        assert abs(centre.x() - head[0]) <= 2 and label.geometry().bottom() < head[1], "above their head"
    assert view._figures[b].bones.visible() and view.bones.visible()
    window.timeline.set_index(38)  # B has left the scene
    assert view.people_shown == [a] and not view._figures[b].bones.visible()


def test_clicking_a_person_in_the_video_selects_them_for_the_timeline_and_the_3d_camera(both, qtbot):
    window = both
    a, b = window.result.summary.lifted
    video = window.video_view
    keypoints = next(k for pid, k, _ in video._people if pid == b)
    target, scale = video.image_rect(), video.image_rect().width() / 320
    x, y = np.nanmean(keypoints, axis=0) * scale + (target.left(), target.top())
    qtbot.mouseClick(video, QtCore.Qt.LeftButton, pos=QtCore.QPoint(int(x), int(y)))
    assert window.selected_id == b and window.skeleton_view.selected == b
    assert window.timeline.person_label.text() == f"#{b}" and window.timeline.person_label.isVisible()
    assert video._followed == b
    window.timeline.set_index(2)  # before B came into view
    qtbot.waitUntil(lambda: window.video_view._note == f"person #{b} not in view here", timeout=10_000)
    assert not window.skeleton_view.bones.visible()


def test_clicking_a_skeleton_in_the_3d_view_selects_that_person(both, qtbot):
    window = both
    a, b = window.result.summary.lifted
    view = window.skeleton_view
    points = view.poses_on_screen()[b]
    x, y = points[np.isfinite(points).all(axis=1)].mean(axis=0)
    assert view.person_at(x, y) == b
    qtbot.mouseClick(view.view, QtCore.Qt.LeftButton, pos=QtCore.QPoint(int(x), int(y)))
    assert window.selected_id == b and view.selected == b
    assert view.person_at(-500, -500) is None  # far from everyone: nobody


def test_export_writes_the_selected_person_or_everyone(both, qtbot, tmp_path):
    window = both
    a, b = window.result.summary.lifted
    window.select_person(b)
    settings = PipelineSettings.from_dict({**window.pipeline.settings.to_dict(), "exports": ["csv"]})
    window.export(str(tmp_path / "one"), settings, people=[window.selected_id])
    qtbot.waitUntil(lambda: bool(window.last_export), timeout=30_000)
    assert [p.name for p in (tmp_path / "one").iterdir()] == [f"two.person{b}.csv"]
    window.last_export = {}
    window.export(str(tmp_path / "all"), settings)
    qtbot.waitUntil(lambda: bool(window.last_export), timeout=30_000)
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == sorted(f"two.person{p}.csv" for p in (a, b))


def test_the_export_dialog_offers_the_selected_person_or_everyone(qtbot, tmp_path):
    from app.dialogs import ExportDialog

    dialog = ExportDialog(PipelineSettings(exports="bvh"), str(tmp_path), stem="two", people=[0, 3], selected=3)
    qtbot.addWidget(dialog)
    assert dialog.people() == [3] and dialog.files.text() == "Writes two.person3.bvh"
    dialog.person.setCurrentIndex(dialog.person.findData("all"))
    assert dialog.people() is None and dialog.files.text() == "Writes two.person0.bvh, two.person3.bvh"
    dialog.people_scale.setCurrentIndex(dialog.people_scale.findData("floor"))
    assert dialog.settings().people_scale == "floor"


def test_the_settings_dialog_offers_everyone_as_target_person(qtbot):
    from app.dialogs import SettingsDialog

    dialog = SettingsDialog(PipelineSettings(person="all"))
    qtbot.addWidget(dialog)
    assert dialog.person_value() == "all" and dialog.person.currentText().startswith("Everyone")
    assert isinstance(dialog, QtWidgets.QDialog)


@pytest.mark.gl
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X server (Xvfb)")
def test_the_screenshot_shows_the_id_labels_in_the_3d_view(both, tmp_path):
    window = both
    a, b = window.result.summary.lifted
    window.select_person(b)  # b's skeleton is drawn in the side colours, so their colour can only be the label
    window.skeleton_view.set_show_trail(False)
    path = window.save_screenshot(tmp_path / "shot.png")
    image = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format_RGB888)
    view = window.skeleton_view.view
    corner = view.mapTo(window, QtCore.QPoint(0, 0))
    pane = image.copy(corner.x(), corner.y(), view.width(), view.height())
    ptr = pane.constBits()
    ptr.setsize(pane.byteCount())
    pixels = np.frombuffer(ptr, np.uint8).reshape(pane.height(), pane.bytesPerLine())[:, :3 * pane.width()]
    pixels = pixels.reshape(pane.height(), pane.width(), 3).astype(int)
    for pid in (a, b):
        near = (np.abs(pixels - np.array(person_rgb(pid))).max(axis=-1) <= 40).sum()
        assert near > 20, f"#{pid}'s colour in the 3D pane"


def test_live_poses_of_everyone_stand_side_by_side_with_their_ids(qtbot):
    from app.skeleton_view import LIVE_SPACING_M, SkeletonView

    view = SkeletonView()
    qtbot.addWidget(view)
    pose = np.zeros((17, 3))
    pose[:, 1] = -np.linspace(0.0, 1.7, 17)  # camera frame: y down, so up the body is -y
    view.show_pose(pose, "camera", people={4: pose.copy(), 7: pose.copy()}, selected=5)
    assert view.people_shown == [5, 4, 7]
    roots = {pid: view._people[pid][0, 0] for pid in (4, 7)}
    assert roots[4][0] == pytest.approx(view.current_pose[0, 0] - LIVE_SPACING_M)  # ids in order: 4, 5, 7
    assert roots[7][0] == pytest.approx(view.current_pose[0, 0] + LIVE_SPACING_M)
    view.show_pose(pose, "camera")  # one person again: no labels
    assert view.people_shown == [] and view.bones.visible()


def test_live_poses_with_root_positions_stand_where_they_are_seen(qtbot):
    from app.skeleton_view import SkeletonView

    view = SkeletonView()
    qtbot.addWidget(view)
    pose = np.zeros((17, 3))
    pose[:, 1] = -np.linspace(0.0, 1.7, 17)
    roots = {5: np.array([0.0, 0.0, 4.0]), 4: np.array([1.5, 0.1, 6.0])}  # camera frame: #4 right, 2 m further
    view.show_pose(pose, "camera", people={4: pose.copy()}, selected=5, roots=roots)
    placed = view._people[4][0, 0] - view.current_pose[0]
    assert placed[0] == pytest.approx(1.5) and placed[1] == pytest.approx(2.0), "x right, further = +y in view"
