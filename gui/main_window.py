"""The main window: one tab per lab, a status bar with what is loading and the memory in use."""

import importlib
import logging

import psutil
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

from gui.settings import Key, settings
from gui.tabs import TAB_ORDER, TABS

log = logging.getLogger(__name__)

MEMORY_REFRESH_MS = 2000


def _load_tab(spec: str, parent: QWidget) -> QWidget:
    module_name, class_name = spec.split(":")
    return getattr(importlib.import_module(module_name), class_name)(parent)


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("Glassbox")
        self.resize(1280, 820)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)

        self._add_tabs()
        self._add_status_bar()
        self._add_shortcuts()
        self._restore_settings()

    def _add_tabs(self) -> None:
        ordered = sorted(TABS, key=lambda tab: TAB_ORDER.index(tab[0]))
        for title, spec in ordered:
            self.tabs.addTab(_load_tab(spec, self), title)

    def _add_status_bar(self) -> None:
        self.memory_label = QLabel()
        self.memory_label.setToolTip("Memory this process uses now (resident set size).")
        self.statusBar().addPermanentWidget(self.memory_label)
        self._memory_timer = QTimer(self)
        self._memory_timer.timeout.connect(self._show_memory)
        self._memory_timer.start(MEMORY_REFRESH_MS)
        self._show_memory()
        self.statusBar().showMessage("Ready", 3000)

    def _show_memory(self) -> None:
        rss_mb = psutil.Process().memory_info().rss / 1e6
        self.memory_label.setText(f"Memory: {rss_mb:,.0f} MB")

    def _add_shortcuts(self) -> None:
        for index in range(min(self.tabs.count(), 9)):
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _=False, i=index: self.tabs.setCurrentIndex(i))
            self.addAction(action)
        quit_action = QAction(self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)

    def show_status(self, message: str, timeout_ms: int = 0) -> None:
        """What the app is doing now (loading a model, indexing...)."""
        self.statusBar().showMessage(message, timeout_ms)

    def tab_named(self, title: str) -> QWidget | None:
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index) == title:
                return self.tabs.widget(index)
        return None

    def _restore_settings(self) -> None:
        store = settings()
        geometry = store.value(Key.WINDOW_GEOMETRY.value)
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.tabs.setCurrentIndex(int(store.value(Key.WINDOW_TAB.value, 0)))

    def closeEvent(self, event) -> None:
        store = settings()
        store.setValue(Key.WINDOW_GEOMETRY.value, self.saveGeometry())
        store.setValue(Key.WINDOW_TAB.value, self.tabs.currentIndex())
        for index in range(self.tabs.count()):
            shutdown = getattr(self.tabs.widget(index), "shutdown", None)
            if shutdown:
                shutdown()
        super().closeEvent(event)
