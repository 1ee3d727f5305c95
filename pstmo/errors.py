"""The project's user-facing error, and the one rule for what a user sees when something fails.

`InputError`: bad user input (a file, its data, a checkpoint, an option). It prints as one line naming the
file and the problem, `error: <file>: <problem>`, with exit code 1 (`main.py`) or as the GUI's message.
An OS error about a file the user named is turned into an InputError where that file is opened or written.
Anything else is a bug: `main.py` and the GUI show one line saying so (`one_line`) and `main.py` exits with
`EXIT_BUG`; with `PSTMO_DEBUG=1` the traceback is shown instead.
"""

from __future__ import annotations

import os

DEBUG_ENV = "PSTMO_DEBUG"
"""Set this environment variable (to anything but empty) to see tracebacks instead of one-line messages."""
EXIT_INPUT_ERROR = 1
"""`main.py`'s exit code for bad input (an InputError)."""
EXIT_BUG = 70
"""`main.py`'s exit code for an unexpected exception (a bug), as sysexits' EX_SOFTWARE; 2 is argparse's usage error."""


class InputError(ValueError):
    """Bad user input (file, data, checkpoint, arguments). Its message is shown as one line, no traceback.

    Raise it with the path and the problem, e.g. `InputError(f"{path}: not a video (no frames decoded)")`.
    """


def debugging() -> bool:
    """Whether PSTMO_DEBUG is set: then errors show their traceback."""
    return bool(os.environ.get(DEBUG_ENV))


def one_line(error: BaseException) -> str:
    """What the user sees for `error`: an InputError's own message ('<file>: <problem>'); for anything else one
    line that calls it a bug, with its type and (first line of its) message, and says how to see the traceback."""
    if isinstance(error, InputError):
        return str(error)
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return (f"internal error (a bug): {type(error).__name__}{': ' + message if message else ''}; "
            f"run with {DEBUG_ENV}=1 for the traceback")
