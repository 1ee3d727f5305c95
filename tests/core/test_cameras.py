"""Cameras: world <-> camera, H36M projection against real annotated frames, screen normalisation."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from pstmo.cameras import (
    Camera,
    camera_to_world,
    load_h36m_cameras,
    project_to_2d,
    project_to_2d_linear,
    world_to_camera,
)
from pstmo.errors import InputError
from pstmo.h36m_files import load_shared_3d
from pstmo.safe_npz import read_npz
from pstmo.transforms import image_coordinates, normalize_screen_coordinates


def _random_camera(rng: np.random.Generator, distortion: bool = True) -> Camera:
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return Camera(
        id="test", R=q, T=rng.normal(size=3), f=[1100.0, 1120.0], c=[500.0, 510.0],
        k=rng.normal(scale=0.1, size=3) if distortion else np.zeros(3),
        p=rng.normal(scale=1e-3, size=2) if distortion else np.zeros(2), res_w=1000, res_h=1002,
    )


@pytest.fixture(scope="module")
def h36m(shared_dir: Path):
    cameras = load_h36m_cameras(shared_dir / "data/h36m/h36m_cameras.json")
    positions = load_shared_3d(shared_dir / "data/h36m/data_3d_h36m_int16.npz", dtype=np.float64)
    samples = read_npz(shared_dir / "data/h36m_samples/test_h36m_body3d.npz", objects=False)
    frames = []
    for name, cam_3d, pixels in zip(samples["imgname"], samples["S"], samples["part"], strict=True):
        subject, action, camera_id, frame = re.match(r"(S\d+)_(.+)\.(\d+)_(\d+)\.jpg", Path(name).name).groups()
        camera = next(c for c in cameras[subject] if c.id == camera_id)
        world = positions[subject][action.replace("_", " ")][int(frame) - 1]
        frames.append((camera, world, cam_3d[:, :3], pixels[:, :2]))
    return cameras, frames


def test_h36m_camera_file_gives_four_cameras_per_subject(h36m):
    cameras, _ = h36m
    assert sorted(cameras) == ["S1", "S11", "S5", "S6", "S7", "S8", "S9"]
    assert all(len(cams) == 4 for cams in cameras.values())
    camera = cameras["S1"][0]
    assert camera.R.shape == (3, 3) and camera.T.shape == (3,) and camera.k.shape == (3,)
    np.testing.assert_allclose(camera.R @ camera.R.T, np.eye(3), atol=1e-9)


def test_projecting_annotated_camera_frame_3d_reproduces_the_2d_annotation_to_1e3_px(h36m):
    _, frames = h36m
    for camera, _, cam_3d, pixels in frames:
        assert np.abs(project_to_2d(cam_3d, camera) - pixels).max() <= 1e-3


def test_world_3d_in_tenths_of_mm_matches_annotations_within_its_rounding(h36m):
    # The int16 store rounds each coordinate by <= 0.05 mm: <= 0.087 mm per joint in 3D, and at ~5 m depth
    # with f ~ 1145 px that moves a projection by <= ~0.02 px. Measured: 0.068 mm and 0.0144 px.
    _, frames = h36m
    for camera, world, cam_3d, pixels in frames:
        camera_frame = world_to_camera(world, camera)
        assert np.linalg.norm(camera_frame - cam_3d, axis=-1).max() <= 0.1e-3
        assert np.abs(project_to_2d(camera_frame, camera) - pixels).max() <= 0.02


def test_distortion_matters_on_h36m(h36m):
    _, frames = h36m
    camera, _, cam_3d, pixels = frames[0]
    assert np.abs(project_to_2d_linear(cam_3d, camera) - pixels).max() > 0.5


def test_camera_to_world_inverts_world_to_camera():
    rng = np.random.default_rng(0)
    camera = _random_camera(rng)
    points = rng.normal(size=(5, 17, 3))
    np.testing.assert_allclose(camera_to_world(world_to_camera(points, camera), camera), points, atol=1e-12)


def test_camera_centre_maps_to_the_camera_origin():
    camera = _random_camera(np.random.default_rng(1))
    np.testing.assert_allclose(world_to_camera(camera.T, camera), np.zeros(3), atol=1e-12)


def test_projection_without_distortion_is_the_pinhole_model():
    camera = _random_camera(np.random.default_rng(2), distortion=False)
    point = np.array([0.4, -0.2, 2.0])
    expected = np.array([1100.0 * 0.2 + 500.0, 1120.0 * -0.1 + 510.0])
    np.testing.assert_allclose(project_to_2d(point, camera), expected)
    np.testing.assert_allclose(project_to_2d_linear(point, camera), expected)


def test_screen_normalisation_maps_width_to_minus_one_one_and_keeps_aspect():
    w, h = 1000, 500
    corners = np.array([[0.0, 0.0], [w, h], [w / 2, h / 2]])
    np.testing.assert_allclose(normalize_screen_coordinates(corners, w, h), [[-1, -0.5], [1, 0.5], [0, 0]])
    rng = np.random.default_rng(3)
    pixels = rng.uniform(0, 1000, size=(4, 17, 2)).astype(np.float32)
    back = image_coordinates(normalize_screen_coordinates(pixels, w, h), w, h)
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, pixels, rtol=1e-5)


def test_wrong_shapes_are_rejected():
    camera = _random_camera(np.random.default_rng(4))
    with pytest.raises(ValueError):
        world_to_camera(np.zeros((17, 2)), camera)
    with pytest.raises(ValueError):
        normalize_screen_coordinates(np.zeros((17, 3)), 10, 10)
    with pytest.raises(ValueError):
        Camera(id="x", R=np.eye(2), T=np.zeros(3), f=[1, 1], c=[0, 0])


def test_missing_or_malformed_camera_file_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_h36m_cameras(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"cameras": {"S1": [{"id": "1"}]}}')
    with pytest.raises(InputError, match="S1"):
        load_h36m_cameras(bad)
