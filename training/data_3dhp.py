"""MPI-INF-3DHP in the npz layout of the P-STMO / PoseFormer repositories -> `PoseSequence`s.

- `data_train_3dhp.npz`: `data` = dict "S1 Seq1" -> [ {camera: {"data_3d": (T, 17, 3) mm, "data_2d": (T, 17, 2) px}} ],
  images 2048 x 2048.
- `data_test_3dhp.npz`: `data` = dict "TS1".."TS6" -> {"data_3d", "data_2d", "valid": (T,)}; TS1-TS4 are
  2048 x 2048, TS5-TS6 1920 x 1080.

Joints come in 3DHP's 17-joint order (0 head top, 1 neck, 2-4 right shoulder/elbow/wrist, 5-7 left,
8-10 right hip/knee/ankle, 11-13 left, 14 pelvis (root), 15 spine, 16 head) and are reordered to H36M-17
with `MPI3DHP_TO_H36M`; 3D is converted to metres and made root-relative. The files store no frame rate;
50 fps is assumed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pstmo.errors import InputError
from pstmo.safe_npz import item, read_npz
from training.sequences import PoseSequence, root_relative

MPI3DHP_TO_H36M = np.array([14, 8, 9, 10, 11, 12, 13, 15, 1, 16, 0, 5, 6, 7, 2, 3, 4])
"""For each H36M-17 joint, its index in 3DHP's 17-joint order (Thorax <- neck, Neck/Nose <- head,
Head <- head top)."""

TRAIN_FILE = "data_train_3dhp.npz"
TEST_FILE = "data_test_3dhp.npz"
FPS = 50.0


def _image_size(sequence: str) -> tuple[int, int]:
    return (1920, 1080) if sequence in ("TS5", "TS6") else (2048, 2048)


def _read(path: Path) -> dict:
    """The archive's `data` dict, read without running any pickled code (`pstmo.safe_npz`)."""
    data = item(read_npz(path, ["data"])["data"])
    if not isinstance(data, dict) or not data or not all(isinstance(name, str) for name in data):
        raise InputError(f"{path}: 'data' must be a non-empty dict of sequences by name")
    return data


def _arrays(path: Path, name: str, record: dict) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(record, dict):
        raise InputError(f"{path}: {name} must be a dict with 'data_3d' and 'data_2d'")
    for key in ("data_3d", "data_2d"):
        if key not in record:
            raise InputError(f"{path}: {name} is missing '{key}'")
    for key in ("data_3d", "data_2d"):
        if not isinstance(record[key], np.ndarray) or record[key].dtype.kind not in "iuf":
            raise InputError(f"{path}: {name} {key} must be a numeric array")
    data_3d = np.asarray(record["data_3d"], dtype=np.float32)
    data_2d = np.asarray(record["data_2d"], dtype=np.float32)
    if data_3d.ndim != 3 or data_3d.shape[1:] != (17, 3):
        raise InputError(f"{path}: {name} data_3d must be (T, 17, 3), got {data_3d.shape}")
    if data_2d.ndim != 3 or data_2d.shape[1] != 17 or data_2d.shape[2] < 2:
        raise InputError(f"{path}: {name} data_2d must be (T, 17, 2), got {data_2d.shape}")
    if len(data_3d) != len(data_2d):
        raise InputError(f"{path}: {name} has {len(data_3d)} 3D frames but {len(data_2d)} 2D frames")
    if len(data_3d) == 0:
        raise InputError(f"{path}: {name} is empty (0 frames)")
    if not (np.isfinite(data_3d).all() and np.isfinite(data_2d).all()):
        raise InputError(f"{path}: {name} contains NaN or infinite values")
    pose_3d = root_relative(data_3d[:, MPI3DHP_TO_H36M] / 1000.0)
    return data_2d[:, MPI3DHP_TO_H36M, :2], pose_3d


def load_3dhp(data_dir: str | Path, split: str, *, max_sequences: int | None = None) -> list[PoseSequence]:
    """3DHP clips of `split` ('train': one per sequence and camera; 'test': TS1-TS6 with `valid` frames)."""
    data_dir = Path(data_dir)
    if split == "train":
        path = data_dir / TRAIN_FILE
        data = _read(path)
        sequences = []
        for name in sorted(data)[: max_sequences or None]:
            entry = data[name]
            cameras = entry[0] if isinstance(entry, (list, tuple)) and entry else entry
            if not isinstance(cameras, dict):
                raise InputError(f"{path}: {name} must hold a dict camera -> arrays")
            subject = name.split(" ")[0]
            for camera in sorted(cameras, key=str):
                keypoints, pose_3d = _arrays(path, f"{name} camera {camera}", cameras[camera])
                sequences.append(PoseSequence(
                    name=f"{name}/{camera}", keypoints_2d=keypoints, pose_3d=pose_3d, image_size=(2048, 2048),
                    fps=FPS, subject=subject, action=name, camera=str(camera),
                ))
        return sequences
    if split == "test":
        path = data_dir / TEST_FILE
        data = _read(path)
        sequences = []
        for name in sorted(data)[: max_sequences or None]:
            record = data[name]
            keypoints, pose_3d = _arrays(path, name, record)
            if "valid" not in record:
                raise InputError(f"{path}: {name} is missing 'valid'")
            valid = record["valid"]
            if not isinstance(valid, np.ndarray) or valid.dtype.kind not in "biuf":
                raise InputError(f"{path}: {name} 'valid' must be a numeric array")
            valid = valid.reshape(-1).astype(bool)
            if len(valid) != len(keypoints):
                raise InputError(f"{path}: {name} 'valid' has {len(valid)} frames, the poses {len(keypoints)}")
            if not valid.any():
                raise InputError(f"{path}: {name} has no valid frames")
            sequences.append(PoseSequence(
                name=name, keypoints_2d=keypoints, pose_3d=pose_3d, image_size=_image_size(name), fps=FPS,
                valid=valid, subject=name, action=name,
            ))
        return sequences
    raise ValueError(f"split must be 'train' or 'test', got {split!r}")
