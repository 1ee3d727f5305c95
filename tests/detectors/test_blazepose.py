"""BlazePose's models driven directly: anchors, regions of interest, non-maximum suppression, heatmap refinement,
and the whole backend's schedule (one detector pass for everyone, focused people measured every frame)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detectors.blazepose import Roi, crop, refine_from_heatmap, ssd_anchor_centres, to_image, weighted_nms


def test_the_detector_has_2254_anchors_on_three_grids():
    anchors = ssd_anchor_centres()
    assert anchors.shape == (2254, 2)
    assert anchors.min() > 0 and anchors.max() < 1
    assert len(np.unique(anchors[:, 0])) == 28 + 14 + 7


def test_a_roi_stands_the_body_upright_and_maps_crop_pixels_back_to_the_frame():
    upright = Roi.from_alignment(np.array([400.0, 300.0]), np.array([400.0, 200.0]))
    assert upright.rotation == pytest.approx(0.0) and upright.size == pytest.approx(250.0)
    lying = Roi.from_alignment(np.array([400.0, 300.0]), np.array([500.0, 300.0]))  # head to the right
    assert abs(lying.rotation) == pytest.approx(math.pi / 2)
    # the crop's top centre (where the head is, upright) is the scale point's side of the frame
    top = to_image(np.array([[128.0, 0.0]]), lying.crop_to_image(256))[0]
    assert top == pytest.approx([400.0 + 125.0, 300.0], abs=1e-3)
    image = np.zeros((600, 800, 3), np.uint8)
    image[290:310, 510:530] = 255  # a bright patch near the head
    view = crop(image, lying, 256)
    ys, xs = np.nonzero(view[:, :, 0])
    assert ys.mean() < 40 and abs(xs.mean() - 128) < 10  # at the top of the upright crop


def test_weighted_nms_merges_overlapping_boxes_into_their_score_weighted_mean():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], dtype=np.float32)
    scores = np.array([0.9, 0.3, 0.8])
    kept = weighted_nms(boxes, scores, boxes.copy())
    assert [round(score, 2) for score, _ in kept] == [0.9, 0.8]
    assert kept[0][1][0] == pytest.approx(0.25)  # (0 * 0.9 + 1 * 0.3) / 1.2


def test_heatmap_refinement_moves_a_landmark_to_the_confident_cells_around_it():
    heatmap = np.full((64, 64, 2), -10.0, dtype=np.float32)
    heatmap[20, 30, 0] = 10.0  # landmark 0: confident two cells to the right of where it was put
    points = np.array([[28.5 / 64, 20.5 / 64], [10 / 64, 10 / 64]], dtype=np.float32)
    refined = refine_from_heatmap(points, heatmap)
    assert refined[0] == pytest.approx([30 / 64, 20 / 64], abs=1e-3)
    assert refined[1] == pytest.approx(points[1])  # nothing confident near landmark 1: unchanged


pytest.importorskip("ai_edge_litert", reason="ai-edge-litert is not installed (requirements.txt)")


@pytest.mark.slow
def test_only_the_focused_person_is_measured_every_frame_the_others_are_held(shared_dir):
    import cv2

    from detectors.mediapipe_backend import MediaPipeDetector

    capture = cv2.VideoCapture(str(shared_dir / "media" / "sports2d_demo.mp4"))
    images = []
    while len(images) < 140:
        images.append(capture.read()[1])
    capture.release()
    detector = MediaPipeDetector(others_every=3)
    seen = []
    for image in images[80:140]:  # both people in view from about frame 80
        people = detector.detect(image)
        focus = max(people, key=lambda p: p.area)
        detector.set_focus([focus.box])
        seen.append(sorted(p.held for p in people))
    both = [held for held in seen if len(held) == 2]
    assert len(both) >= 30
    assert all(held[0] == 0 for held in seen)  # the focused one: measured every frame
    assert max(held[1] for held in both) == 2  # the other: measured every third frame, repeated in between
    assert detector.runs["detector"] <= 60 // 4 + 6  # not one detector pass per frame
