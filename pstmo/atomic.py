"""Atomic file writes: write a temporary file in the target's folder, then `os.replace` it onto the target.

A reader never sees half a file, and an interrupted write leaves the old file (or none) in place. Every
problem with where the output goes (a folder that cannot be written, a file in the way, a full disk) is an
`InputError` naming the folder or file and the cause in words, never a bare `[Errno ...]`: an `OutputError`
made by `cannot_write`, or one from `check_output_folder` (the one way to create or check an output folder).
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pstmo.errors import InputError

_CAUSES = {
    errno.EACCES: "permission denied: not writable",
    errno.EPERM: "permission denied: not writable",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file would be too large for this file system",
    errno.ENOTDIR: "a file is in the way (part of the path is a file, not a folder)",
    errno.EEXIST: "a file is in the way (not a folder)",
    errno.EISDIR: "a folder is in the way",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ENOENT: "the folder does not exist",
    errno.EIO: "a device input/output error",
}


def describe_os_error(error: OSError) -> str:
    """The cause of an OS error in words ("the disk is full"), without the `[Errno N]` prefix or the path."""
    cause = _CAUSES.get(error.errno or -1)
    if cause is None:
        cause = (error.strerror or str(error) or type(error).__name__).lower()
    return cause


class OutputError(InputError):
    """`PATH: cannot write (the cause in words)`: an output could not be written; `cause` is the words."""

    def __init__(self, path: str | os.PathLike, cause: str, what: str = "cannot write") -> None:
        super().__init__(f"{path}: {what} ({cause})")
        self.path, self.cause = Path(path), cause


def cannot_write(path: str | os.PathLike, error: OSError, what: str = "cannot write") -> OutputError:
    """The `OutputError` `PATH: cannot write (the cause in words)` for an OS error met while writing `path`."""
    return OutputError(path, describe_os_error(error), what)


def _first_existing(folder: Path) -> Path:
    current = folder
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def _probe_writable(folder: Path) -> None:
    """Create and remove a scratch file in `folder`: the only test that also catches read-only mounts."""
    try:
        handle, scratch = tempfile.mkstemp(prefix=".pstmo-write-test.", dir=folder)
    except OSError as error:
        raise cannot_write(folder, error, "cannot write output here") from None
    os.close(handle)
    os.unlink(scratch)


def check_output_folder(folder: str | os.PathLike, *, create: bool = True) -> Path:
    """`folder` ready for outputs: created when missing (`create`), a folder, writable.

    With `create=False` nothing is created: the folder, or the nearest existing folder above it, must be
    writable (for a check before long work). InputError naming the folder and the cause otherwise.
    """
    folder = Path(folder) if str(folder) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise OutputError(folder, "a file is in the way, not a folder", "cannot write output here")
    if not create:
        existing = _first_existing(folder)
        if not existing.is_dir():
            raise OutputError(folder, f"{existing} is a file, not a folder", "cannot write output here")
        _probe_writable(existing)
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        blocker = _first_existing(folder)
        if blocker.exists() and not blocker.is_dir():
            raise OutputError(folder, f"a file is in the way: {blocker} is a file, not a folder",
                              "cannot create the output folder") from None
        raise cannot_write(folder, error, "cannot create the output folder") from None
    _probe_writable(folder)
    return folder


def check_output_path(path: str | os.PathLike, *, create_folder: bool = False) -> Path:
    """`path` as a Path; InputError when it names a folder or its folder is missing (unless created)."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(path, "a folder is in the way, not a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if create_folder:
        check_output_folder(folder)
    elif folder.exists() and not folder.is_dir():
        raise OutputError(path, f"{folder} is a file, not a folder")
    elif not folder.is_dir():
        raise OutputError(path, f"the output folder {folder} does not exist")
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
            raise cannot_write(self.path.parent, error, "cannot write output here") from None
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
