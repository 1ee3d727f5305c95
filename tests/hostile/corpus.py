"""Builders of broken and hostile input files, generated on the fly (nothing large is committed).

Each builder writes into a folder and returns the path the user would pass on the command line. The
hostile pickles run `echo pwned > MARKER` when unpickled by a loader that trusts them; tests check that
MARKER never appears.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import cv2
import numpy as np

MARKER = "PWNED"


class ShellCommand:
    """Pickles to a call of `os.system(command)`: what a hostile data file would carry."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def hostile_object(folder: Path) -> ShellCommand:
    return ShellCommand(f"echo pwned > {folder / MARKER}")


def npy_bytes(value: object) -> bytes:
    """`value` as the bytes of a `.npy` member: an object array (a pickle) unless it is a plain array."""
    buffer = io.BytesIO()
    if isinstance(value, np.ndarray) and not value.dtype.hasobject:
        np.lib.format.write_array(buffer, value)
        return buffer.getvalue()
    holder = np.empty((), dtype=object)
    holder[()] = value
    np.lib.format.write_array_header_1_0(buffer, {"descr": "|O", "fortran_order": False, "shape": ()})
    pickle.dump(holder, buffer, protocol=4)
    return buffer.getvalue()


def write_npz(path: Path, members: dict[str, object]) -> Path:
    """An `.npz` archive with one member per key (dicts and other objects go in as pickles)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in members.items():
            archive.writestr(f"{name}.npy", npy_bytes(value))
    return path


def hostile_h36m_folder(folder: Path) -> Path:
    """A VideoPose3D-layout H36M folder whose 3D archive hides a shell command among real arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    poses = {"S9": {"Walking 1": np.zeros((20, 32, 3), np.float32), "payload": hostile_object(folder)}}
    write_npz(folder / "data_3d_h36m.npz", {"positions_3d": poses})
    return folder


def hostile_3dhp_folder(folder: Path) -> Path:
    """3DHP train and test archives whose `data` pickles are a shell command."""
    folder.mkdir(parents=True, exist_ok=True)
    write_npz(folder / "data_train_3dhp.npz", {"data": {"S1 Seq1": hostile_object(folder)}})
    write_npz(folder / "data_test_3dhp.npz", {"data": {"TS1": hostile_object(folder)}})
    return folder


def grey_video(path: Path, frames: int = 12, size: tuple[int, int] = (320, 240)) -> Path:
    """A small valid MJPG video of grey frames (the scripted detector sees one person in each)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, size)
    for index in range(frames):
        image = np.full((size[1], size[0], 3), 90, np.uint8)
        cv2.putText(image, str(index), (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 255), 2)
        writer.write(image)
    writer.release()
    return path


def damaged_video(path: Path, declared: int = 230, decodable: int = 23) -> Path:
    """An AVI whose header declares `declared` frames but whose data breaks off after `decodable` of them."""
    grey_video(path, frames=declared)
    data = path.read_bytes()
    position = data.find(b"movi")
    for _ in range(decodable + 1):
        position = data.find(b"00dc", position + 4)
    assert position > 0
    path.write_bytes(data[: position + 2])
    return path


def checkpoint_with(folder: Path, source_json: Path, name: str, *, header: dict | None = None,
                    weights: bytes | None = None) -> Path:
    """A copy of a valid checkpoint under `name` with its JSON fields replaced by `header` and/or its
    weights file replaced by `weights` bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    data = json.loads(source_json.read_text())
    data["weights"] = f"{name}.safetensors"
    data.update(header or {})
    target = folder / f"{name}.json"
    target.write_text(json.dumps(data))
    source_weights = source_json.with_suffix(".safetensors").read_bytes()
    (folder / f"{name}.safetensors").write_bytes(source_weights if weights is None else weights)
    return target


def weights_filled(source_json: Path, value: float) -> bytes:
    """The checkpoint's safetensors bytes with every floating-point weight set to `value` (NaN, inf ...)."""
    import torch
    from safetensors.torch import load_file, save

    state = load_file(str(source_json.with_suffix(".safetensors")))
    return save({k: torch.full_like(v, value) if v.is_floating_point() else v for k, v in state.items()})


def lying_safetensors(length: int = 1 << 40) -> bytes:
    """A safetensors file whose header claims `length` bytes of header."""
    return struct.pack("<Q", length) + b"{}"


def result_json(path: Path, **fields) -> Path:
    """A `pstmo-motion` result JSON of 4 frames with `fields` replaced (None removes a field)."""
    record = {"format": "pstmo-motion", "version": 1, "units": "m", "fps": 30.0, "frame": "camera",
              "root_relative": True, "joints": np.zeros((4, 17, 3)).tolist(), "metadata": {}}
    for key, value in fields.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    path.write_text(json.dumps(record))
    return path


def result_npz(path: Path, header: object = None, **arrays) -> Path:
    """A result NPZ with a JSON `header` (a valid one by default) and the given members."""
    if header is None:
        header = {"format": "pstmo-motion", "version": 1, "fps": 30.0, "frame": "camera"}
    members: dict[str, object] = {"header": np.array(header if isinstance(header, str) else json.dumps(header))}
    members.update(arrays or {"joints": np.zeros((4, 17, 3))})
    return write_npz(path, members)


def detect_json(path: Path, **fields) -> Path:
    """A `detect` command track JSON of 3 frames with `fields` replaced."""
    record = {"joints": None, "image_size": [640, 480], "fps": 30.0,
              "keypoints": [[[100.0 + j, 200.0] for j in range(17)] for _ in range(3)]}
    record.update(fields)
    path.write_text(json.dumps(record))
    return path


def bvh_file(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
