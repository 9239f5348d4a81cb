"""Starts the Qt application: the window for a person, or offscreen screenshots of every tab."""

import logging
import os
import re
import sys
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def run_app(screenshot_dir: str | None = None) -> int:
    if screenshot_dir:
        # Screenshots need no screen; this must be set before Qt starts.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Glassbox")
    app.setOrganizationName("glassbox")
    if screenshot_dir:
        return _screenshots(Path(screenshot_dir))

    from gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    return app.exec()


def _screenshots(folder: Path) -> int:
    from PySide6.QtCore import QSettings

    from gui.main_window import MainWindow

    # The tabs fill themselves with sample data and save their settings as they go; a
    # throwaway settings folder keeps the user's own settings exactly as they were.
    with tempfile.TemporaryDirectory(prefix="glassbox-screenshot-settings-") as scratch:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, scratch)
        window = MainWindow()
        window.show()
        # The offscreen screen is small; pictures should show the window at a desktop size.
        window.resize(1280, 820)
        for path in save_screenshots(window, folder):
            log.info("Saved %s", path)
    return 0


def save_screenshots(window, folder: Path) -> list[Path]:
    """Visit each tab, let it prepare (e.g. run a generation), and save it as a PNG."""
    from PySide6.QtWidgets import QApplication

    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        tab = window.tabs.widget(index)
        prepare = getattr(tab, "prepare_screenshot", None)
        if prepare:
            prepare()
        QApplication.processEvents()
        slug = re.sub(r"[^a-z0-9]+", "-", window.tabs.tabText(index).lower()).strip("-")
        path = folder / f"{index + 1:02d}-{slug}.png"
        window.grab().save(str(path))
        saved.append(path)
    window.close()
    return saved
