"""`pstmo.safe_npz`: dataset archives load exactly as NumPy loads them, and no pickled code ever runs."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pstmo.errors import InputError
from pstmo.h36m_files import load_shared_3d, load_shared_sh_2d, metres, pixels, read_dict_archive
from pstmo.safe_npz import Refused, item, read_npz, restricted_load
from tests.hostile import corpus


def same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return type(a) is type(b) and a == b


def videopose3d_like() -> dict:
    rng = np.random.default_rng(1)
    return {"S1": {"Walking 1": rng.normal(size=(5, 32, 3)).astype(np.float32),
                   "Sitting": rng.normal(size=(3, 32, 3))},
            "S9": {"Photo": [rng.normal(size=(4, 17, 2)).astype(np.float32), np.zeros((0, 17, 2), np.float32)]}}


def test_a_videopose3d_layout_file_loads_exactly_as_numpy_loads_it(tmp_path):
    path = tmp_path / "data_3d_h36m.npz"
    metadata = {"layout_name": "h36m", "num_joints": 17, "keypoints_symmetry": [[4, 5, 6], [1, 2, 3]]}
    np.savez_compressed(path, positions_3d=videopose3d_like(), metadata=metadata)
    ours = read_npz(path)
    with np.load(path, allow_pickle=True) as theirs:
        assert sorted(ours) == sorted(theirs.files)
        for name in theirs.files:
            assert same(item(ours[name]), item(theirs[name])), name


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_every_pickle_protocol_of_arrays_dicts_lists_and_scalars_is_rebuilt(protocol):
    value = {"a": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "b": [np.int64(5), np.str_("x"), 2.5, None],
             "c": (True, "text", b"raw", -3), "d": np.array(["ab", "c"]), "e": np.array([1, None], dtype=object)}
    holder = np.empty((), dtype=object)
    holder[()] = value
    back = restricted_load(pickle.dumps(holder, protocol=protocol)).item()
    assert same({k: v for k, v in back.items() if k != "e"}, {k: v for k, v in value.items() if k != "e"})
    assert back["e"].tolist() == [1, None]


def test_plain_arrays_come_back_writable_with_their_dtype_and_order(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, f=np.asfortranarray(np.arange(12.0).reshape(3, 4)), i=np.arange(5, dtype=np.int16),
             empty=np.zeros((0, 16, 2), np.int16), scalar=np.float32(2.5))
    arrays = read_npz(path, objects=False)
    with np.load(path) as theirs:
        for name in theirs.files:
            assert same(arrays[name], theirs[name]), name
    arrays["i"][0] = 7  # writable, like np.load's arrays


@pytest.mark.parametrize("where", ["top level", "inside a dict of arrays", "as a dict key's value in a list"])
def test_a_pickled_shell_command_never_runs_and_the_error_names_the_file(tmp_path, where):
    evil = corpus.hostile_object(tmp_path)
    value = {"top level": evil, "inside a dict of arrays": {"S1": {"Walking": np.zeros(3), "x": evil}},
             "as a dict key's value in a list": [np.zeros(2), {"k": evil}]}[where]
    path = corpus.write_npz(tmp_path / "evil.npz", {"positions_3d": value})
    with pytest.raises(InputError) as error:
        read_npz(path)
    message = str(error.value)
    assert message.startswith(f"{path}: refused") and "system" in message and "\n" not in message
    assert not (tmp_path / corpus.MARKER).exists()


@pytest.mark.parametrize("name", [("builtins", "eval"), ("numpy", "load"), ("numpy.lib.npyio", "NpzFile"),
                                  ("subprocess", "Popen"), ("numpy.ma.core", "_mareconstruct")])
def test_any_global_outside_the_short_list_is_refused_before_lookup(name):
    data = b"\x80\x04c" + f"{name[0]}\n{name[1]}\n".encode() + b"."
    with pytest.raises(Refused, match=f"{name[0]}.{name[1]}"):
        restricted_load(data)


class Reduces:
    """Pickles to `function(*args)`."""

    def __init__(self, function, *args) -> None:
        self.function, self.args = function, args

    def __reduce__(self):
        return (self.function, self.args)


def test_ndarray_itself_cannot_be_called_and_reconstruct_takes_only_empty_arrays():
    from numpy._core.multiarray import _reconstruct

    with pytest.raises((Refused, TypeError)):
        restricted_load(pickle.dumps(Reduces(np.ndarray, (10**6,))))
    with pytest.raises(Refused, match="reconstruction"):
        restricted_load(pickle.dumps(Reduces(_reconstruct, np.ndarray, (10**8,), b"b")))
    with pytest.raises(Refused, match="reconstruction"):
        restricted_load(pickle.dumps(Reduces(_reconstruct, np.dtype, (0,), b"b")))


def test_an_object_array_is_refused_where_only_plain_arrays_belong(tmp_path):
    path = corpus.write_npz(tmp_path / "result.npz", {"joints": [1, 2, 3]})
    with pytest.raises(InputError, match=r"result\.npz: refused.*joints\.npy holds Python objects"):
        read_npz(path, objects=False)


@pytest.mark.parametrize("content, problem", [
    (b"", "not a readable npz"),
    (b"PK\x03\x04 not really a zip", "not a readable npz"),
    (b"\x80\x04\x95 a bare pickle", "not a readable npz"),
])
def test_files_that_are_not_archives_are_one_line_errors(tmp_path, content, problem):
    path = tmp_path / "data.npz"
    path.write_bytes(content)
    with pytest.raises(InputError, match=problem) as error:
        read_npz(path)
    assert str(error.value).startswith(str(path)) and "\n" not in str(error.value)


@pytest.mark.parametrize("shape", [(10**9,), (2**40, 2**40), (2**32, 2**32, 2**32)])
def test_members_that_lie_about_their_size_or_are_cut_off_are_refused(tmp_path, shape):
    path = tmp_path / "lying.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", header.getvalue() + b"\x00" * 80)
    with pytest.raises(InputError, match=r"lying\.npz.*x\.npy declares"):
        read_npz(path)
    full = corpus.write_npz(tmp_path / "full.npz", {"d": {"a": np.arange(1000.0)}})
    cut = tmp_path / "cut.npz"
    cut.write_bytes(full.read_bytes()[:-200])
    with pytest.raises(InputError, match=r"cut\.npz"):
        read_npz(cut)


def test_a_header_that_is_code_is_not_evaluated(tmp_path):
    path = tmp_path / "code.npz"
    text = "{'descr': __import__('os').system('echo pwned > " + str(tmp_path / corpus.MARKER) + "'), "
    text += "'fortran_order': False, 'shape': ()}"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode())
    with pytest.raises(InputError, match="unreadable header"):
        read_npz(path)
    assert not (tmp_path / corpus.MARKER).exists()


def test_archives_above_the_size_limit_are_refused_before_reading(tmp_path):
    path = tmp_path / "big.npz"
    np.savez(path, x=np.zeros(1000))
    with pytest.raises(InputError, match="GiB"):
        read_npz(path, max_bytes=100)


def test_missing_keys_are_named_with_what_the_archive_has(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, foo=np.zeros(2))
    with pytest.raises(InputError, match=r"other\.npz: missing key 'positions_3d' \(has foo\)"):
        read_npz(path, ["positions_3d"])
    assert set(read_npz(path, ["foo"], optional=["metadata"])) == {"foo"}


def test_a_dict_archive_with_the_wrong_structure_names_the_field(tmp_path):
    path = corpus.write_npz(tmp_path / "odd.npz", {"positions_3d": {"S1": [np.zeros((2, 17, 3))]}})
    with pytest.raises(InputError, match=r"odd\.npz: positions_3d/S1 must be a dict"):
        read_dict_archive(path, "positions_3d")
    path = corpus.write_npz(tmp_path / "text.npz", {"positions_3d": {"S1": {"Walk": np.array(["a", "b"])}}})
    with pytest.raises(InputError, match=r"text\.npz: positions_3d/S1/Walk must be a numeric array"):
        read_dict_archive(path, "positions_3d")


def test_the_shared_int16_units_are_undone_in_one_place():
    assert metres(np.array([12345], np.int16))[0] == pytest.approx(1.2345)
    assert pixels(np.array([1001], np.int16))[0] == 250.25
    assert metres(np.zeros(2, np.int16)).dtype == np.float32
    assert metres(np.zeros(2, np.int16), np.float64).dtype == np.float64


def test_the_shared_h36m_files_load_through_the_safe_reader_as_numpy_would(h36m_dir: Path):
    folder = h36m_dir
    poses = load_shared_3d(folder / "data_3d_h36m_int16.npz", ["S9"])
    with np.load(folder / "data_3d_h36m_int16.npz", allow_pickle=True) as raw:
        reference = raw["positions_3d"].item()["S9"]
    assert poses["S9"].keys() == reference.keys()
    for action, array in reference.items():
        np.testing.assert_array_equal(poses["S9"][action], array.astype(np.float32) * np.float32(1e-4))
    detections = load_shared_sh_2d(folder / "data_2d_h36m_sh_qpx_int16.npz", ["S11"])
    with np.load(folder / "data_2d_h36m_sh_qpx_int16.npz", allow_pickle=True) as raw:
        reference_2d = raw["positions_2d"].item()["S11"]
    for action, views in reference_2d.items():
        assert len(detections["S11"][action]) == len(views)
        for ours, theirs in zip(detections["S11"][action], views, strict=True):
            np.testing.assert_array_equal(ours, theirs / 4.0)
