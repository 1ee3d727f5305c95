"""Read `.npz` archives without running code from them.

`np.load(path, allow_pickle=True)` runs any pickle an archive carries, and a pickle can name any Python
function (`os.system`, ...) to be called while it loads. Dataset archives (Human3.6M / VideoPose3D / 3DHP
files) do need pickles: a dict of arrays is stored as an object array, which `.npy` writes as a pickle.
`read_npz` reads such archives with a restricted unpickler that rebuilds only what data holds:

- NumPy arrays and dtypes (`numpy[._]core.multiarray._reconstruct` / `scalar`, `numpy[._]core.numeric.
  _frombuffer`, `numpy.ndarray`, `numpy.dtype`; `ndarray` only as `_reconstruct`'s argument, never called);
- dicts, lists, tuples, strings, bytes, numbers, booleans and None (pickle opcodes, no globals needed);
- `_codecs.encode(text, "latin1")`, the form in which pickle protocol 2 stores bytes.

Anything else a pickle asks for is refused before it is looked up, so nothing in the archive is ever called.
Arrays without objects are read straight from their bytes (no pickle). Every failure, including a refused
pickle, is an `InputError` naming the file and the archive member.
"""

from __future__ import annotations

import ast
import io
import math
import os
import pickle
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

from pstmo.errors import InputError

MAX_BYTES = 8 << 30
"""Largest total uncompressed size of the members read from one archive (the H36M 2D file: 127 MB)."""

MAX_HEADER_BYTES = 10_000
"""Longest `.npy` header accepted (NumPy's own limit for untrusted files)."""

ALLOWED = "NumPy arrays, dicts, lists, tuples, strings and numbers"


class Refused(pickle.UnpicklingError):
    """An archive holds what data never needs and what could run code: a pickle asking for other Python
    objects, or any pickle at all where plain arrays are expected."""


class _NdarrayToken:
    """Stands for `numpy.ndarray` inside a pickle: usable only as `_reconstruct`'s first argument."""

    def __repr__(self) -> str:
        return "numpy.ndarray"


_NDARRAY = _NdarrayToken()


def _reconstruct(subtype: Any, shape: Any, typecode: Any) -> np.ndarray:
    """`numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')`: the empty array `ndarray.__setstate__` fills."""
    if subtype is not _NDARRAY or not isinstance(shape, tuple) or any(
            not isinstance(n, int) or n != 0 for n in shape) or typecode not in (b"b", "b"):
        raise Refused("malformed NumPy array reconstruction")
    return np.ndarray.__new__(np.ndarray, shape, np.int8)


def _scalar(dtype: Any, data: Any = None) -> Any:
    """`numpy.core.multiarray.scalar(dtype, data)`: a NumPy scalar from its raw bytes (or the object itself)."""
    if not isinstance(dtype, np.dtype):
        raise Refused("malformed NumPy scalar")
    if dtype.hasobject:
        return data
    if not isinstance(data, (bytes, str)):
        raise Refused("malformed NumPy scalar")
    raw = data.encode("latin1") if isinstance(data, str) else data
    if len(raw) != dtype.itemsize:
        raise Refused("malformed NumPy scalar")
    return np.frombuffer(raw, dtype=dtype, count=1)[0]


def _frombuffer(buffer: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    """`numpy._core.numeric._frombuffer`: how pickle protocol 5 writes an array (its bytes in-band)."""
    if not isinstance(buffer, (bytes, bytearray, pickle.PickleBuffer)) or not isinstance(dtype, np.dtype) or \
            dtype.hasobject or not isinstance(shape, tuple) or order not in ("C", "F"):
        raise Refused("malformed NumPy array")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order).copy(order=order)


def _dtype(*args: Any) -> np.dtype:
    """`numpy.dtype(spec, align, copy)` with `spec` a type code such as 'i2', 'f8' or 'O8'."""
    if not args or not isinstance(args[0], str) or len(args) > 3:
        raise Refused("malformed NumPy dtype")
    return np.dtype(*args)


def _latin1_bytes(text: Any, encoding: Any = "latin1") -> bytes:
    """`_codecs.encode(text, 'latin1')`: how pickle protocol 2 writes a bytes object."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise Refused("malformed bytes")
    return text.encode("latin1")


_GLOBALS: dict[tuple[str, str], Any] = {}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _GLOBALS[(_module, "_reconstruct")] = _reconstruct
    _GLOBALS[(_module, "scalar")] = _scalar
for _module in ("numpy.core.numeric", "numpy._core.numeric"):
    _GLOBALS[(_module, "_frombuffer")] = _frombuffer
_GLOBALS[("numpy", "ndarray")] = _NDARRAY
_GLOBALS[("numpy", "dtype")] = _dtype
_GLOBALS[("_codecs", "encode")] = _latin1_bytes


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds only NumPy arrays and plain containers (see the module docstring)."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _GLOBALS[(module, name)]
        except KeyError:
            raise Refused(f"its pickle asks for {module}.{name}; data may only hold {ALLOWED}") from None

    def persistent_load(self, pid: Any) -> Any:
        raise Refused("its pickle refers to outside objects")


def restricted_load(stream: io.IOBase | bytes) -> Any:
    """Unpickle `stream` (a binary file or bytes), admitting only NumPy arrays and plain containers.

    Raises `Refused` for anything else and `pickle.UnpicklingError` / `EOFError` / `ValueError` for
    malformed data. Bytes pickled by Python 2 load as with `encoding="latin1"`.
    """
    if isinstance(stream, (bytes, bytearray, memoryview)):
        stream = io.BytesIO(stream)
    return RestrictedUnpickler(stream, encoding="latin1").load()


def _read_header(stream: Any, member: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran order, dtype) from a `.npy` header, parsed as a literal (nothing evaluated)."""
    magic = stream.read(npy_format.MAGIC_LEN)
    if len(magic) != npy_format.MAGIC_LEN or not magic.startswith(npy_format.MAGIC_PREFIX):
        raise ValueError(f"{member} is not a .npy array")
    major = magic[-2]
    if major not in (1, 2, 3):
        raise ValueError(f"{member} has an unknown .npy format version {major}")
    length_size = 2 if major == 1 else 4
    length_bytes = stream.read(length_size)
    if len(length_bytes) != length_size:
        raise ValueError(f"{member} is cut off in its header")
    length = int.from_bytes(length_bytes, "little")
    if length > MAX_HEADER_BYTES:
        raise ValueError(f"{member} has an implausibly long header ({length} bytes)")
    raw = stream.read(length)
    if len(raw) != length:
        raise ValueError(f"{member} is cut off in its header")
    try:
        header = ast.literal_eval(raw.decode("utf8" if major == 3 else "latin1"))
    except (SyntaxError, ValueError, UnicodeDecodeError, MemoryError, RecursionError):
        raise ValueError(f"{member} has an unreadable header") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise ValueError(f"{member} has a header without descr, fortran_order and shape")
    shape, fortran = header["shape"], header["fortran_order"]
    if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError(f"{member} has a bad shape {shape!r}")
    if not isinstance(fortran, bool):
        raise ValueError(f"{member} has a bad fortran_order {fortran!r}")
    try:
        dtype = npy_format.descr_to_dtype(header["descr"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{member} has a bad dtype ({exc})") from None
    return shape, fortran, dtype


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, objects: bool) -> np.ndarray:
    member = info.filename
    with archive.open(info) as stream:
        shape, fortran, dtype = _read_header(stream, member)
        if dtype.hasobject:
            if not objects:
                raise Refused(f"{member} holds Python objects (a pickle), which this file type never needs")
            array = restricted_load(stream)
            if not isinstance(array, np.ndarray):
                raise ValueError(f"{member} does not hold an array")
            if array.shape != shape:
                raise ValueError(f"{member} holds shape {array.shape}, its header says {shape}")
            return array
        count = math.prod(shape)  # Python integers: a lying shape cannot overflow
        size = count * dtype.itemsize
        if size > info.file_size:
            raise ValueError(f"{member} declares {size} bytes of data but holds at most {info.file_size}")
        data = bytearray(size)
        view = memoryview(data)
        done = 0
        while done < size:
            read = stream.readinto(view[done:])
            if not read:
                raise ValueError(f"{member} is cut off ({done} of {size} bytes of data)")
            done += read
    flat = np.frombuffer(data, dtype=dtype, count=count)
    if fortran:
        return flat.reshape(shape[::-1]).transpose()
    return flat.reshape(shape)


def read_npz(path: str | os.PathLike, keys: Iterable[str] | None = None, *, optional: Iterable[str] = (),
             objects: bool = True, max_bytes: int = MAX_BYTES) -> dict[str, np.ndarray]:
    """The arrays of the `.npz` archive at `path`, by name ('positions_3d' for member 'positions_3d.npy').

    keys: the arrays to read (InputError when one is missing); None reads every array. optional: arrays read
    when present. objects: False refuses object arrays outright (for files that should hold plain numbers).
    Object arrays come back as NumPy object arrays (a pickled dict is a 0-d array: use `item`).
    Raises InputError naming the file (and member) for a missing, truncated, corrupt or hostile archive.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found" if not path.exists() else f"{path}: not a file")
    wanted = None if keys is None else list(keys)
    extra = list(optional)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename.removesuffix(".npy"): info for info in archive.infolist()
                     if info.filename.endswith(".npy")}
            if wanted is not None:
                missing = [key for key in wanted if key not in infos]
                if missing:
                    held = ", ".join(sorted(infos)) or "nothing"
                    raise InputError(f"{path}: missing key '{missing[0]}' (has {held})")
            names = list(infos) if wanted is None else wanted + [k for k in extra if k in infos and k not in wanted]
            total = sum(infos[name].file_size for name in names)
            if total > max_bytes:
                raise InputError(f"{path}: refused, its arrays would take {total / 2**30:.1f} GiB "
                                 f"(more than {max_bytes / 2**30:.1f} GiB)")
            return {name: _read_member(archive, infos[name], objects) for name in names}
    except InputError:
        raise
    except Refused as exc:
        raise InputError(f"{path}: refused to load, {exc}") from None
    except MemoryError:
        raise InputError(f"{path}: too large to load into memory") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, pickle.UnpicklingError,
            TypeError, AttributeError, IndexError, KeyError, RecursionError, NotImplementedError) as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: not a readable npz archive ({text})") from None


def item(array: Any) -> Any:
    """The object inside a 0-d object array (how `np.savez` stores a dict); anything else as it is."""
    if isinstance(array, np.ndarray) and array.dtype.hasobject and array.shape == ():
        return array.item()
    return array
