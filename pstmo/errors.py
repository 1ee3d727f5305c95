"""The project's user-facing error: a one-line message naming the file and the problem."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input (file, data, checkpoint, arguments). Its message is shown as one line, no traceback.

    Raise it with the path and the problem, e.g. `InputError(f"{path}: not a video (no frames decoded)")`.
    """
