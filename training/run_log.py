"""Training log: one JSON object per line in `<run_dir>/log.jsonl`, mirrored to TensorBoard and a callback.

Schema (documented in docs/training.md): every record has `event` ('start', 'train', 'val', 'epoch',
'done'), `stage` (1 or 2), `epoch` (1-based), `step` (optimizer steps so far) and `time` (Unix seconds).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pstmo.atomic import cannot_write, check_output_folder

ProgressCallback = Callable[[dict[str, Any]], None]


class RunLog:
    """Appends records to log.jsonl (flushed per line), writes TensorBoard scalars, calls `progress`."""

    def __init__(
        self,
        run_dir: Path | None,
        stage: int,
        *,
        tensorboard: bool = True,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.stage = stage
        self.progress = progress
        self._file = None
        self._writer = None
        if run_dir is not None:
            check_output_folder(run_dir)
            try:
                self._file = open(run_dir / "log.jsonl", "a", encoding="utf-8")  # noqa: SIM115
            except OSError as error:
                raise cannot_write(run_dir / "log.jsonl", error) from None
            if tensorboard:
                try:
                    from torch.utils.tensorboard import SummaryWriter

                    self._writer = SummaryWriter(str(run_dir / "tensorboard"))
                except ImportError:
                    self._writer = None

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        record = {"event": event, "stage": self.stage, "time": round(time.time(), 3), **fields}
        if self._file is not None:
            self._file.write(json.dumps(record, sort_keys=False) + "\n")
            self._file.flush()
        if self._writer is not None and event in ("train", "val", "epoch"):
            step = int(fields.get("step", 0))
            for key, value in fields.items():
                if key not in ("epoch", "step") and isinstance(value, (int, float)) and not isinstance(value, bool):
                    self._writer.add_scalar(f"stage{self.stage}/{event}/{key}", value, step)
        if self.progress is not None:
            self.progress(record)
        return record

    def tick(self, **fields: Any) -> None:
        """A progress-only record (event 'progress'), not written to the file."""
        if self.progress is not None:
            self.progress({"event": "progress", "stage": self.stage, **fields})

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def read_log(path: str | Path) -> list[dict[str, Any]]:
    """All records of a log.jsonl (a partly written last line is skipped)."""
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
