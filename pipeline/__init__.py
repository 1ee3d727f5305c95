"""Frame sources and the processing pipeline shared by the GUI and the CLI (no Qt).

`Pipeline`, `PipelineSettings` and `PipelineResult` are imported lazily: `from pipeline import Pipeline`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Cancelled", "LiveUpdate", "Pipeline", "PipelineResult", "PipelineSettings", "Summary"]


def __getattr__(name: str) -> Any:
    if name == "PipelineSettings":
        from pipeline.settings import PipelineSettings

        return PipelineSettings
    if name in __all__:
        from pipeline import pipeline as module

        return getattr(module, name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
