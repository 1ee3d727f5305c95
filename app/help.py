"""Help menu: the user guide (docs/guide.md), the keyboard and mouse shortcuts, and About (with the version)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from PyQt5 import QtGui, QtWidgets

REPO_ROOT = Path(__file__).resolve().parents[1]
GUIDE_PATH = REPO_ROOT / "docs" / "guide.md"
MOUSE_SHORTCUTS = (  # what, how
    ("Orbit the 3D view", "drag in the 3D view"),
    ("Zoom the 3D view", "mouse wheel in the 3D view"),
    ("Pan the 3D view", "Ctrl+drag in the 3D view"),
    ("Reset the 3D view", "double-click in the 3D view"),
    ("Go to a frame", "click or drag on the timeline"),
    ("Open a video", "drop the file on the window"),
)


def app_version() -> str:
    """The project's version from pyproject.toml ('unknown' when it cannot be read)."""
    try:
        with open(REPO_ROOT / "pyproject.toml", "rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def about_text() -> str:
    return (f"<h3>P-STMO Studio {app_version()}</h3>"
            "<p>Video and webcam to 3D human motion: a 2D pose detector, a tracker, the P-STMO lifter "
            "(Shan et al., ECCV 2022) and exports to BVH, CSV, JSON and NPZ.</p>"
            "<p>Help &rarr; User guide explains the main steps; Help &rarr; Keyboard shortcuts lists the keys.</p>"
            "<p>Models and sample media: see their licences in <code>assets/</code>.</p>")


class GuideDialog(QtWidgets.QDialog):
    """The user guide (docs/guide.md, rendered from Markdown), non-modal."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("P-STMO Studio user guide")
        self.resize(760, 720)
        self.browser = QtWidgets.QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        try:
            self.browser.setMarkdown(GUIDE_PATH.read_text(encoding="utf-8"))
        except OSError as error:
            self.browser.setPlainText(f"The user guide could not be read: {GUIDE_PATH} ({error.strerror}).")
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)


def shortcut_rows(menu_bar: QtWidgets.QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, action, shortcut) for every menu action with a shortcut, read from the menus themselves."""
    rows = []
    for menu_action in menu_bar.actions():
        menu = menu_action.menu()
        if menu is None:
            continue
        for action in menu.actions():
            keys = [k.toString(QtGui.QKeySequence.NativeText) for k in action.shortcuts() if not k.isEmpty()]
            if keys:
                rows.append((menu_action.text().replace("&", ""), action.text().replace("&", ""), ", ".join(keys)))
    return rows


class ShortcutsDialog(QtWidgets.QDialog):
    """A table of the keyboard shortcuts (from the menus) and the mouse gestures."""

    def __init__(self, menu_bar: QtWidgets.QMenuBar, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard and mouse shortcuts")
        self.resize(520, 800)
        rows = [(what, keys) for _, what, keys in shortcut_rows(menu_bar)] + list(MOUSE_SHORTCUTS)
        self.table = QtWidgets.QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        for row, (what, keys) in enumerate(rows):
            self.table.setItem(row, 0, QtWidgets.QTableWidgetItem(what.rstrip(".")))
            self.table.setItem(row, 1, QtWidgets.QTableWidgetItem(keys))
        self.table.horizontalHeader().setSectionResizeMode(0, QtWidgets.QHeaderView.Stretch)
        self.table.resizeColumnToContents(1)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
