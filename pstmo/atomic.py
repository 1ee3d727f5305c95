"""Atomic file writes: write a temporary file in the target's folder, then `os.replace` it onto the target.

A reader never sees half a file, and an interrupted write leaves the old file (or none) in place. An OS
error while writing (no permission, disk full, read-only folder) becomes an InputError naming the file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pstmo.errors import InputError


def cannot_write(path: str | os.PathLike, error: OSError) -> InputError:
    """The InputError for an OS error while writing `path` (a file or folder the user named)."""
    return InputError(f"{path}: cannot write here ({error.strerror or error})")


def make_folder(path: str | os.PathLike) -> Path:
    """Create the folder `path` (and its parents) if needed; InputError naming it when that fails."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise cannot_write(path, error) from None
    return path


def check_output_path(path: str | os.PathLike, *, create_folder: bool = False) -> Path:
    """`path` as a Path; InputError when it names a folder or its folder is missing (unless created)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if create_folder:
        make_folder(folder)
    elif not folder.is_dir():
        raise InputError(f"{path}: folder {folder} does not exist")
    return path


def _default_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class PendingFile:
    """A temporary file beside `path` that becomes `path` on `commit()` or disappears on `discard()`.

    For writers that stay open across many calls (a video recorder); in a single block use `atomic_path`.
    `suffix` keeps an extension a writer insists on (e.g. ".npz", ".mp4").
    """

    def __init__(self, path: str | os.PathLike, *, create_folder: bool = False, suffix: str = "") -> None:
        self.path = check_output_path(path, create_folder=create_folder)
        try:
            handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=suffix or ".tmp",
                                                 dir=self.path.parent)
        except OSError as error:
            raise cannot_write(self.path, error) from None
        os.close(handle)
        self.temporary = Path(temporary)

    def commit(self) -> Path:
        """Move the temporary file onto `path`."""
        try:
            os.chmod(self.temporary, _default_file_mode())  # mkstemp makes 0600; new files get 0666 & ~umask
            os.replace(self.temporary, self.path)
        except OSError as error:
            self.discard()
            raise cannot_write(self.path, error) from None
        return self.path

    def discard(self) -> None:
        """Delete the temporary file; `path` stays as it was."""
        self.temporary.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | os.PathLike, *, create_folder: bool = False, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `path`; when the block ends without error, move it onto `path`.

    For writers that take a file name (safetensors, numpy, OpenCV). `suffix` keeps an extension a
    writer insists on (e.g. ".npz"). An OSError in the block (the writer's) becomes an InputError naming `path`.
    """
    pending = PendingFile(path, create_folder=create_folder, suffix=suffix)
    try:
        yield pending.temporary
    except OSError as error:
        pending.discard()
        raise cannot_write(pending.path, error) from None
    except BaseException:
        pending.discard()
        raise
    pending.commit()


def write_atomically(
    path: str | os.PathLike, write: Callable[[IO], None], *, binary: bool = False, create_folder: bool = False
) -> Path:
    """Call `write(file)` on a temporary file beside `path`, flush it to disk, then move it onto `path`."""
    with atomic_path(path, create_folder=create_folder) as temporary:
        text_options: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": "\n"}
        with open(temporary, "wb" if binary else "w", **text_options) as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
    return Path(path)


def write_json_atomic(path: str | os.PathLike, data: Any, *, create_folder: bool = False, **dump_options: Any) -> Path:
    """Write `data` as UTF-8 JSON to `path` atomically; `dump_options` go to `json.dump`."""
    return write_atomically(path, lambda file: json.dump(data, file, **dump_options), create_folder=create_folder)
