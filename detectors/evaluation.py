"""Pixel error of a 2D backend on the four real Human3.6M frames (`../shared/data/h36m_samples`).

The frames are a test set: nothing is fitted to them (see `detectors.calibration` for where the
calibration comes from). Used by `benchmarks/detector_accuracy.py` and the tests.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detectors import create_detector
from detectors.base import Person, to_h36m
from pstmo.safe_npz import read_npz
from pstmo.skeleton import H36M_JOINTS, blazepose_to_h36m, coco_to_h36m

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "h36m_samples"
"""Default location of the sample frames (beside the repository)."""


def plain_h36m(person: Person) -> np.ndarray:
    """The uncalibrated mapping (pelvis = mid-hips, thorax = mid-shoulders, ...)."""
    convert = blazepose_to_h36m if person.layout == "blazepose33" else coco_to_h36m
    return convert(person.keypoints)


def evaluate(detector_name: str = "mediapipe", plain: bool = False, samples: Path = SAMPLES, **options) -> dict:
    """Per-frame and per-joint pixel errors on the H36M sample frames."""
    data = read_npz(samples / "test_h36m_body3d.npz", ["imgname", "part"], objects=False)
    detector = create_detector(detector_name, **options)
    errors, names = [], []
    try:
        for image_name, truth in zip(data["imgname"], data["part"], strict=True):
            image = cv2.imread(str(samples / Path(str(image_name)).name))
            detector.reset()
            people = detector.detect(image)
            if not people:
                errors.append(np.full(17, np.nan))
                continue
            person = max(people, key=lambda p: p.area)
            keypoints = plain_h36m(person) if plain else to_h36m(person)[0]
            errors.append(np.linalg.norm(keypoints - truth[:, :2], axis=1))
            names.append(Path(str(image_name)).name)
    finally:
        detector.close()
    errors = np.array(errors)
    return {
        "detector": detector_name,
        "conversion": "plain" if plain else "calibrated",
        "frames": names,
        "mean_px": round(float(np.nanmean(errors)), 2),
        "per_frame_px": [round(float(v), 2) for v in np.nanmean(errors, axis=1)],
        "per_joint_px": {j: round(float(v), 2) for j, v in zip(H36M_JOINTS, np.nanmean(errors, axis=0), strict=True)},
        "frames_without_person": int(np.isnan(errors).all(axis=1).sum()),
    }
