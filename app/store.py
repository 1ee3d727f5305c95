"""Persistent app state in QSettings: pipeline settings (JSON), export choices (JSON) and the recent-files list."""

from __future__ import annotations

import json
import os

from PyQt5 import QtCore

from pipeline.settings import PipelineSettings

MAX_RECENT = 8


class AppStore:
    """QSettings wrapper. `path` (or $PSTMO_SETTINGS_FILE) selects an INI file instead of the user's store."""

    def __init__(self, path: str | None = None) -> None:
        path = path or os.environ.get("PSTMO_SETTINGS_FILE")
        if path:
            self.qsettings = QtCore.QSettings(str(path), QtCore.QSettings.IniFormat)
        else:
            self.qsettings = QtCore.QSettings("pstmo", "pstmo-studio")

    def recent_files(self) -> list[str]:
        value = self.qsettings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def add_recent(self, path: str) -> list[str]:
        files = [path] + [p for p in self.recent_files() if p != path]
        files = files[:MAX_RECENT]
        self.qsettings.setValue("recent_files", files)
        self.qsettings.sync()
        return files

    def clear_recent(self) -> None:
        self.qsettings.setValue("recent_files", [])
        self.qsettings.sync()

    def pipeline_settings(self) -> PipelineSettings:
        text = self.qsettings.value("pipeline_settings", "")
        if not text:
            return PipelineSettings()
        try:
            return PipelineSettings.from_dict(json.loads(text))
        except (ValueError, TypeError):
            return PipelineSettings()

    def save_pipeline_settings(self, settings: PipelineSettings) -> None:
        self.qsettings.setValue("pipeline_settings", settings.to_json())
        self.qsettings.sync()

    def export_options(self) -> dict:
        """The Export dialog's last choices (formats, world frame, smoothing, ...) as settings fields; {} if none."""
        try:
            data = json.loads(self.qsettings.value("export_options", "") or "{}")
        except (ValueError, TypeError):
            return {}
        return data if isinstance(data, dict) else {}

    def save_export_options(self, options: dict) -> None:
        self.qsettings.setValue("export_options", json.dumps(options))
        self.qsettings.sync()

    def value(self, key: str, default: str = "") -> str:
        return str(self.qsettings.value(key, default) or default)

    def set_value(self, key: str, value: str) -> None:
        self.qsettings.setValue(key, value)
        self.qsettings.sync()
