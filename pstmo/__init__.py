"""P-STMO core: model, skeleton, cameras, metrics, checkpoints and the inference engine (no Qt).

`pstmo.Lifter` is imported lazily so `import pstmo.skeleton` stays cheap (no torch import).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Lifter", "ModelConfig"]


def __getattr__(name: str) -> Any:
    if name == "Lifter":
        from pstmo.lifter import Lifter

        return Lifter
    if name == "ModelConfig":
        from pstmo.config import ModelConfig

        return ModelConfig
    raise AttributeError(f"module 'pstmo' has no attribute {name!r}")
