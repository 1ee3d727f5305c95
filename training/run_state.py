"""Per-epoch training checkpoints: everything `--resume` needs, written atomically.

Layout inside a run folder:

    checkpoints/epoch_0007/model.safetensors + model.json   model weights + config (pstmo.checkpoint format)
    checkpoints/epoch_0007/train_state.safetensors          optimizer tensors, RNG states
    checkpoints/epoch_0007/train_state.json                 epoch, step, lr, metrics, history, optimizer groups
    latest.json                                             {"epoch": 7, "path": "checkpoints/epoch_0007"}
    best.safetensors + best.json                            best-by-validation model (a normal checkpoint)

An epoch folder is written under a temporary name and renamed when complete, and `latest.json` is
replaced atomically after it, so a process killed at any moment leaves the previous epoch intact.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from pstmo.atomic import OutputError, cannot_write, check_output_folder, describe_os_error, write_atomically
from pstmo.atomic import write_json_atomic as _write_json_atomic
from pstmo.errors import InputError


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to `path` atomically (indented, sorted keys), creating its folder."""
    _write_json_atomic(path, data, create_folder=True, indent=2, sort_keys=True)


def rng_state(generator: torch.Generator) -> dict[str, torch.Tensor]:
    """RNG states to restore for an identical continuation: sampler generator, torch CPU and CUDA."""
    states = {"rng.sampler": generator.get_state(), "rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            states[f"rng.cuda.{index}"] = state
    return states


def restore_rng(tensors: dict[str, torch.Tensor], generator: torch.Generator) -> None:
    generator.set_state(tensors["rng.sampler"])
    torch.set_rng_state(tensors["rng.torch"])
    if torch.cuda.is_available():
        cuda = [tensors[k] for k in sorted(tensors) if k.startswith("rng.cuda.")]
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for param_id, values in state["state"].items():
        for key, value in values.items():
            if torch.is_tensor(value):
                tensors[f"optim.{param_id}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(param_id), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _optimizer_state(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if not name.startswith("optim."):
            continue
        _, param_id, key = name.split(".", 2)
        state.setdefault(int(param_id), {})[key] = value
    for param_id, values in meta.get("scalars", {}).items():
        state.setdefault(int(param_id), {}).update(values)
    return {"state": state, "param_groups": meta["param_groups"]}


def save_epoch(
    run_dir: Path,
    epoch: int,
    *,
    save_model: Any,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    info: dict[str, Any],
    keep: set[int] | None = None,
) -> Path:
    """Write the epoch folder atomically, point `latest.json` at it, delete older epoch folders not in `keep`.

    `save_model(path)` writes the model checkpoint (safetensors + JSON) at `path`.
    """
    checkpoints = check_output_folder(run_dir / "checkpoints")
    final = checkpoints / f"epoch_{epoch:04d}"
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".epoch_{epoch:04d}.", dir=checkpoints))
    except OSError as error:
        raise cannot_write(checkpoints, error) from None
    try:
        save_model(tmp / "model.safetensors")
        tensors, optim_meta = _optimizer_tensors(optimizer)
        tensors.update(rng_state(generator))
        save_file(tensors, str(tmp / "train_state.safetensors"))
        write_json_atomic(tmp / "train_state.json", {**info, "epoch": epoch, "optimizer": optim_meta})
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except (OSError, OutputError) as error:  # disk full, folder made read-only ...: the last epoch stays intact
        shutil.rmtree(tmp, ignore_errors=True)
        cause = error.cause if isinstance(error, OutputError) else describe_os_error(error)
        raise OutputError(final, cause) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    write_json_atomic(run_dir / "latest.json", {"epoch": epoch, "path": str(final.relative_to(run_dir))})
    keep = (keep or set()) | {epoch}
    for old in checkpoints.glob("epoch_*"):
        try:
            number = int(old.name.split("_")[1])
        except (IndexError, ValueError):
            continue
        if number not in keep:
            shutil.rmtree(old, ignore_errors=True)
    return final


def load_latest(run_dir: Path) -> tuple[Path, dict[str, Any], dict[str, torch.Tensor]] | None:
    """(epoch folder, train_state JSON, train_state tensors) of the last complete epoch, or None.

    Also tidies what a process killed mid-write leaves behind (`repair_after_kill`), so `--resume` after
    SIGKILL continues exactly from the last complete epoch.
    """
    from safetensors import SafetensorError

    pointer = run_dir / "latest.json"
    if not pointer.is_file():
        return None
    try:
        relative = Path(json.loads(pointer.read_text(encoding="utf-8"))["path"])
        if relative.parts[:1] != ("checkpoints",) or len(relative.parts) != 2 or ".." in relative.parts:
            raise ValueError(f"'path' must name checkpoints/epoch_NNNN, got {str(relative)!r}")
        folder = run_dir / relative
        info = json.loads((folder / "train_state.json").read_text(encoding="utf-8"))
        if not isinstance(info, dict) or not isinstance(info.get("epoch"), int):
            raise ValueError("train_state.json holds no epoch")
        tensors = load_file(str(folder / "train_state.safetensors"))
    except (OSError, KeyError, TypeError, ValueError, SafetensorError) as exc:
        raise InputError(f"{pointer}: cannot resume, the last checkpoint is unreadable ({exc})") from None
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun, one process tidies the run folder
        repair_after_kill(run_dir, folder, info)
    return folder, info, tensors


def repair_after_kill(run_dir: Path, folder: Path, info: dict[str, Any]) -> None:
    """Undo what SIGKILL can leave between two writes of an epoch's end, before training resumes:

    - half-written epoch folders (`checkpoints/.epoch_*`) and atomic-write temporaries (`.*.tmp`);
    - a last line of `log.jsonl` cut mid-record (ended, so the next record starts on its own line);
    - `best.*` not yet rewritten although the last complete epoch is the best one (the kill came after
      `latest.json` moved on): it is restored from that epoch's folder, which holds the same weights.
    """
    for leftover in (run_dir / "checkpoints").glob(".epoch_*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in run_dir.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    log = run_dir / "log.jsonl"
    if log.is_file() and log.stat().st_size:
        with open(log, "rb+") as file:
            file.seek(-1, os.SEEK_END)
            if file.read(1) != b"\n":
                file.write(b"\n")
    epoch = info["epoch"]
    if info.get("best_epoch") != epoch or _best_epoch_on_disk(run_dir) == epoch:
        return
    header = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    header["weights"] = "best.safetensors"
    metrics = header.setdefault("metadata", {}).setdefault("metrics", {})
    metrics["best_epoch"] = epoch
    weights = (folder / "model.safetensors").read_bytes()
    write_atomically(run_dir / "best.safetensors", lambda file: file.write(weights), binary=True)
    write_atomically(run_dir / "best.json", lambda file: json.dump(header, file, indent=2))


def _best_epoch_on_disk(run_dir: Path) -> int | None:
    """The epoch `best.json` was saved at, or None when it is missing or unreadable."""
    try:
        header = json.loads((run_dir / "best.json").read_text(encoding="utf-8"))
        return int(header["metadata"]["training"]["epoch"])
    except (OSError, KeyError, TypeError, ValueError):
        return None


def restore_optimizer(optimizer: torch.optim.Optimizer, info: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
    optimizer.load_state_dict(_optimizer_state(tensors, info["optimizer"]))
