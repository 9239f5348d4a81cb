"""The batch panel of the Text cleaning tab: many files into one JSONL, with progress and cancel."""

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QListWidget, QProgressBar, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from gui.errors import show_error
from gui.settings import Key, settings
from gui.workers import StreamWorker
from inference.errors import CancelledError

log = logging.getLogger(__name__)

REPORT_COLUMNS = ("File", "Status", "Encoding", "Records", "Chars", "Tokens", "Note")


class FileList(QListWidget):
    """Input files and folders; takes drops from a file manager."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setToolTip("Files (.txt .md .csv .jsonl) and folders to clean. Drop them here or use "
                        "the buttons; folders are searched recursively.")

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.add_path(Path(url.toLocalFile()))
        event.acceptProposedAction()

    def add_path(self, path: Path) -> None:
        if str(path) not in self.paths_text():
            self.addItem(str(path))

    def paths_text(self) -> list[str]:
        return [self.item(row).text() for row in range(self.count())]


class BatchPanel(QWidget):
    """Pick inputs and an output JSONL, run the tab's steps over them, show a per-file report."""

    def __init__(self, options_source, parent=None):
        super().__init__(parent)
        self._options_source = options_source
        self._worker: StreamWorker | None = None
        self._cancel_requested = False
        self._build()
        self._restore()

    def _build(self) -> None:
        self.files = FileList()
        add_files, add_folder, remove = (QPushButton("Add files…"), QPushButton("Add folder…"),
                                         QPushButton("Remove"))
        add_files.clicked.connect(self._add_files)
        add_folder.clicked.connect(self._add_folder)
        remove.clicked.connect(lambda: [self.files.takeItem(self.files.row(i))
                                        for i in self.files.selectedItems()])
        buttons = QVBoxLayout()
        for button in (add_files, add_folder, remove):
            buttons.addWidget(button)
        buttons.addStretch()
        top = QHBoxLayout()
        top.addWidget(self.files, 1)
        top.addLayout(buttons)

        left = QVBoxLayout()
        left.addLayout(top, 1)
        left.addLayout(self._form())
        left.addLayout(self._run_row())
        self.table = QTableWidget(0, len(REPORT_COLUMNS))
        self.table.setHorizontalHeaderLabels(REPORT_COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setToolTip("One row per file; chars and tokens are before -> after. A file "
                              "that cannot be read is skipped with the reason; the others "
                              "still complete.")
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addWidget(self.table, 3)

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        self.csv_column = QLineEdit("text")
        self.csv_column.setToolTip("Which CSV column holds the text (by header name).")
        self.jsonl_field = QLineEdit("text")
        self.jsonl_field.setToolTip("Which field of each JSONL line holds the text.")
        self.records = QComboBox()
        self.records.addItems(["file", "paragraph"])
        self.records.setToolTip("One JSONL record per .txt/.md file, or one per paragraph "
                                "(blank-line separated). Files over 1 MB are split into parts.")
        self.out_path = QLineEdit()
        self.out_path.setPlaceholderText("cleaned.jsonl")
        self.out_path.setToolTip("The JSONL file to write: one {\"text\": ...} record per line, "
                                 "ready for fine-tuning.")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._choose_out)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_path, 1)
        out_row.addWidget(browse)
        form.addRow("CSV column", self.csv_column)
        form.addRow("JSONL field", self.jsonl_field)
        form.addRow("Records", self.records)
        form.addRow("Output JSONL", out_row)
        return form

    def _run_row(self) -> QVBoxLayout:
        self.run_button = QPushButton("Clean batch")
        self.run_button.setToolTip("Clean every file with the steps ticked on the left.")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p%")
        self.status = QLabel("Add files or a folder, choose the output, then Clean batch.")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        for widget in (self.run_button, self.cancel_button):
            row.addWidget(widget)
        row.addWidget(self.progress, 1)
        column = QVBoxLayout()
        column.addLayout(row)
        column.addWidget(self.status)
        return column

    def _add_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Files to clean", "",
                                                "Text (*.txt *.md *.csv *.jsonl)")
        for name in names:
            self.files.add_path(Path(name))

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder to clean")
        if folder:
            self.files.add_path(Path(folder))

    def _choose_out(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Write JSONL", self.out_path.text(),
                                              "JSON Lines (*.jsonl)")
        if name:
            self.out_path.setText(name)

    # ----------------------------------------------------------------- running

    def start(self) -> None:
        """Run the batch on a worker thread."""
        from pipelines.cleaning.batch import BatchOptions, run_batch
        from pipelines.cleaning.pipeline import validate

        try:
            inputs, out = self._inputs_and_out()
            options = self._options_source()
            validate(options)
            batch = BatchOptions(csv_column=self.csv_column.text().strip() or "text",
                                 jsonl_field=self.jsonl_field.text().strip() or "text",
                                 records=self.records.currentText())
        except Exception as error:  # noqa: BLE001 - every setting error is shown the same way
            show_error(self, "Cannot start the batch", error)
            return
        self._save()
        self.table.setRowCount(0)
        self.progress.setValue(0)
        self._worker = StreamWorker(lambda cancel: run_batch(inputs, out, options, batch=batch,
                                                             cancel=cancel), self)
        self._worker.item.connect(self._show_progress)
        self._worker.finished.connect(self._finished)
        self._cancel_requested = False
        self._set_running(True)
        self._worker.start()

    def _inputs_and_out(self) -> tuple[list[Path], Path]:
        from inference.errors import InvalidSettingError
        from pipelines.cleaning.paths import check_output

        inputs = [Path(text) for text in self.files.paths_text()]
        if not inputs:
            raise InvalidSettingError("No input files: add files or a folder to the list first.")
        if not self.out_path.text().strip():
            raise InvalidSettingError("No output file: choose where to write the JSONL.")
        out = check_output(Path(self.out_path.text().strip()), flag="Output JSONL",
                           example="cleaned.jsonl")
        return inputs, out

    def cancel(self) -> None:
        if self._worker is not None:
            self._cancel_requested = True
            self._worker.cancel()
            self.status.setText("Cancelling…")

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _show_progress(self, progress) -> None:
        self.progress.setValue(int(1000 * progress.fraction))
        self.status.setText(f"{progress.files_done}/{progress.files_total} files  "
                            f"{Path(progress.current).name}")
        for report in progress.reports[self.table.rowCount():]:
            self._add_row(report)

    def _add_row(self, report) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        tokens = ("n/a" if report.tokens_before is None
                  else f"{report.tokens_before:,} -> {report.tokens_after:,}")
        values = (Path(report.path).name, report.status, report.encoding, str(report.records),
                  f"{report.chars_before:,} -> {report.chars_after:,}", tokens, report.error)
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(report.path if column == 0 else value)
            if report.status != "ok":
                item.setForeground(Qt.GlobalColor.darkRed)
            self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()

    def _finished(self, error) -> None:
        self._set_running(False)
        # The worker may stop between files without an error: the request says it was a cancel.
        if isinstance(error, CancelledError) or self._cancel_requested:
            self.status.setText(f"Cancelled; the files done so far are in {self.out_path.text()}")
        elif error is not None:
            self.status.setText("Failed")
            show_error(self, "Batch cleaning failed", error)
        else:
            self.progress.setValue(1000)
            skipped = sum(1 for row in range(self.table.rowCount())
                          if self.table.item(row, 1).text() != "ok")
            self.status.setText(f"Done: {self.table.rowCount() - skipped} file(s) cleaned, "
                                f"{skipped} skipped")

    def is_running(self) -> bool:
        return self._worker is not None and self._worker.is_running()

    def shutdown(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._worker.wait(3000)

    # ---------------------------------------------------------------- settings

    def _restore(self) -> None:
        store = settings()
        self.out_path.setText(str(store.value(Key.CLEANING_BATCH_OUT.value, "")))
        self.csv_column.setText(str(store.value(Key.CLEANING_CSV_COLUMN.value, "text")))
        self.jsonl_field.setText(str(store.value(Key.CLEANING_JSONL_FIELD.value, "text")))

    def _save(self) -> None:
        store = settings()
        store.setValue(Key.CLEANING_BATCH_OUT.value, self.out_path.text())
        store.setValue(Key.CLEANING_CSV_COLUMN.value, self.csv_column.text())
        store.setValue(Key.CLEANING_JSONL_FIELD.value, self.jsonl_field.text())
