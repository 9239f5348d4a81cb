"""The Models tab: every model, its source and licence, and whether its files are intact."""

import threading

from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from gui.workers import StreamWorker, wait_for
from inference.manifest import all_models, describe

COLUMNS = ["Name", "Status", "Size (MB)", "Purpose", "Licence", "SHA-256"]
STATUS_COLUMN = 1
LICENCE_COLUMN = 4
LICENCE_WIDTH = 170


class ModelsTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._worker: StreamWorker | None = None

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        # Rows follow their wrapped text as the window (and so the Purpose column) resizes.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(LICENCE_COLUMN, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(LICENCE_COLUMN, LICENCE_WIDTH)
        self.table.setWordWrap(True)

        self.summary = QLabel("Checking model files…")
        self.summary.setWordWrap(True)
        self.refresh_button = QPushButton("Check again")
        self.refresh_button.setToolTip("Recompute every file's SHA-256 and compare it with the "
                                       "checksum recorded when the model was built.")
        self.refresh_button.clicked.connect(self.refresh)

        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        note = QLabel("Everything runs on this machine. Models come from pinned packages, are "
                      "verified by checksum and converted once to ONNX by set-up. A model you "
                      "place under models_onnx/NAME/ in the standard ONNX layout is listed too. "
                      "To rebuild a damaged model: glassbox setup-models --only NAME")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        layout.addWidget(note)
        self.refresh()

    def refresh(self) -> None:
        if self._worker is not None:
            return

        def job(_cancel: threading.Event):
            # Hashing hundreds of megabytes takes seconds: never on the event loop.
            for model in all_models():
                yield describe(model)

        self.table.setRowCount(0)
        self.refresh_button.setEnabled(False)
        self._worker = StreamWorker(job, self)
        self._worker.item.connect(self._add_row)
        self._worker.finished.connect(self._on_finished)
        self._worker.start()

    def _add_row(self, entry: dict) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        status = "ok" if entry["ok"] else _short_problem(entry["problems"])
        digest = entry["sha256"][:12] + "…" if entry["sha256"] else ""
        cells = [entry["name"], status, f"{entry['size_bytes'] / 1e6:,.1f}", entry["purpose"],
                 entry["licence"], digest]
        tips = {STATUS_COLUMN: status, LICENCE_COLUMN: entry["licence"]}
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(tips.get(column, _tooltip(entry)))
            if column == STATUS_COLUMN and not entry["ok"]:
                item.setForeground(self.palette().brightText())
                item.setBackground(_problem_brush())
            self.table.setItem(row, column, item)

    def _on_finished(self, error) -> None:
        self._worker = None
        self.refresh_button.setEnabled(True)
        rows = self.table.rowCount()
        broken = sum(1 for row in range(rows)
                     if self.table.item(row, STATUS_COLUMN).text() != "ok")
        if error is not None:
            self.summary.setText(f"Could not check the models: {error}")
        elif broken:
            self.summary.setText(f"{rows} models, {broken} with a problem: rebuild with "
                                 "glassbox setup-models.")
        else:
            self.summary.setText(f"{rows} models, all present and intact.")

    def is_busy(self) -> bool:
        return self._worker is not None

    def prepare_screenshot(self) -> None:
        if self._worker is not None:
            wait_for(self._worker, 60_000)

    def shutdown(self) -> None:
        if self._worker is not None:
            self._worker.wait(10_000)


def _tooltip(entry: dict) -> str:
    files = "\n".join(f"{f['path']}  {f['sha256']}" for f in entry["files"])
    return f"{entry['build']}\n\nSources: {', '.join(entry['sources'])}\n{files}".strip()


def _problem_brush():
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(192, 57, 43))


def _short_problem(problems: list[str]) -> str:
    """The first problem without the folder path, which the tooltip and the CLI give in full."""
    first = problems[0].rsplit("/", 1)[-1]
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return first + more
