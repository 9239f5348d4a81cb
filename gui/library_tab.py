"""The Library tab: drop documents in, search them by meaning and keywords, ask with citations."""

import gzip
import html
import json
import logging
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QHeaderView,
                               QInputDialog, QLabel, QLineEdit, QProgressBar, QPushButton,
                               QSpinBox, QSplitter, QTableWidgetItem, QTabWidget, QTextBrowser,
                               QVBoxLayout, QWidget)

from gui.errors import show_error
from gui.library_views import DocumentView, EmbeddingMap, IndexPanel, make_table
from gui.settings import Key, settings
from gui.workers import StreamWorker, wait_for
from inference.errors import GlassboxError
from pipelines.library.answer import AskOptions, ask
from pipelines.library.ingest import FileReport, IngestPlan, IngestProgress
from pipelines.library.library import Library, library_folder, library_names
from pipelines.library.lock import WAITING
from pipelines.library.search import SearchOptions
from pipelines.library.vector_index import HnswParams

log = logging.getLogger(__name__)

SCREENSHOT_TIMEOUT_MS = 180_000
SHUTDOWN_MS = 8000  # all workers together; a cancelled embed or generation stops sooner
STATUS_COLOURS = {"added": "#2e7d32", "updated": "#1565c0", "unchanged": "#616161",
                  "skipped": "#ef6c00", "failed": "#c62828"}
SAMPLE_QUESTION = "Who is commander in chief of the army and navy?"
MAP_MAX_POINTS = 20_000


class LibraryTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.library: Library | None = None
        self._ingest: StreamWorker | None = None
        self._ingest_cancel = threading.Event()
        self._plan = ""
        self._projection = None
        self._query_vector = None
        self._answer_text = ""
        self._answer_tokens = 0
        self._query: StreamWorker | None = None
        self._aux: StreamWorker | None = None
        self._answer = None
        self._hits = []
        self._map_version = -1
        self._sample_dir: Path | None = None
        self._build_ui()
        self._restore()

    # ------------------------------------------------------------------ layout

    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        layout.addLayout(self._top_bar())
        # Problems opening a library are shown here, never in a box that blocks start-up.
        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #fff4e5; color: #7a4100; padding: 4px;")
        self.banner.hide()
        layout.addWidget(self.banner)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._left_column())
        splitter.addWidget(self._right_column())
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([420, 860])
        layout.addWidget(splitter, 1)

    def _top_bar(self) -> QHBoxLayout:
        self.library_box = QComboBox()
        self.library_box.setToolTip("Each library is a folder with its own documents and "
                                    "index, under your user data folder unless you open "
                                    "another folder.")
        self.library_box.activated.connect(self._on_library_chosen)
        new_button = _button("New library…", self._new_library)
        open_button = _button("Open folder…", self._open_folder)
        add_files = _button("Add files…", self._add_files_dialog)
        add_folder = _button("Add folder…", self._add_folder_dialog)
        self._write_buttons = [add_files, add_folder]
        self.stats = QLabel("")
        self.stats.setStyleSheet("color: #555;")
        bar = QHBoxLayout()
        for widget in (QLabel("Library:"), self.library_box, new_button, open_button,
                       add_files, add_folder):
            bar.addWidget(widget)
        bar.addWidget(self.stats, 1)
        return bar

    def _left_column(self) -> QWidget:
        self.documents = make_table(["Document", "Format", "Pages", "Chunks", "Notes"],
                                    stretch=0)
        self.documents.setToolTip("Drop files or folders anywhere on this tab to add them.")
        self.documents.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.documents.cellDoubleClicked.connect(self._open_document_row)
        self.remove_button = _button("Remove selected", self._remove_selected)
        self._write_buttons.append(self.remove_button)
        self.progress = QProgressBar()
        self.progress.setFormat("%p%")
        self.progress_label = QLabel("Drop PDF, DOCX, TXT, Markdown, RST, HTML or CSV files "
                                     "(or folders) here.")
        self.progress_label.setWordWrap(True)
        self.cancel_button = _button("Cancel", self._cancel_ingest)
        self.cancel_button.setEnabled(False)
        self.report = make_table(["File", "Status", "Chunks", "Message"], stretch=3)
        # Long file names are elided in the middle (full path in the tooltip), so the
        # message column keeps its room.
        self.report.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.report.setColumnWidth(0, 150)
        self.report.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.report.setWordWrap(True)  # a message wraps onto more lines rather than being cut

        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Documents</b>"))
        layout.addWidget(self.documents, 2)
        layout.addWidget(self.remove_button)
        layout.addWidget(QLabel("<b>Last ingest</b> (one line per file)"))
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.report, 1)
        return column

    def _right_column(self) -> QWidget:
        self.views = QTabWidget()
        self.views.addTab(self._search_page(), "Search && ask")
        self.document_view = DocumentView()
        self.views.addTab(self.document_view, "Passage")
        self.map = EmbeddingMap()
        self.map.point_clicked.connect(self._open_chunk)
        self.views.addTab(self.map, "Map")
        self.index_panel = IndexPanel(HnswParams())
        self.index_panel.apply_requested.connect(self._apply_params)
        self.index_panel.inspect_requested.connect(self._measure_recall)
        self.views.addTab(self.index_panel, "Index")
        self.views.currentChanged.connect(self._on_view_changed)
        return self.views

    def _search_page(self) -> QWidget:
        self.query = QLineEdit()
        self.query.setPlaceholderText("Search or ask a question about your documents…")
        self.query.setMinimumWidth(280)
        self.query.returnPressed.connect(self.search)
        self.k = QSpinBox()
        self.k.setRange(1, 50)
        self.k.setValue(5)
        self.k.setToolTip("How many passages to retrieve.")
        self.mmr = QCheckBox("Diversify (MMR)")
        self.mmr.setToolTip("Maximal marginal relevance: skip passages that repeat ones "
                            "already chosen.")
        self.generate = QCheckBox("Generate")
        self.generate.setChecked(True)
        self.generate.setToolTip("Ask: also let the local language model write an answer "
                                 "from the best sentences. Off: the extractive answer only.")
        self.filter = QComboBox()
        self.filter.setToolTip("Search every document or only one.")
        self.filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.filter.setMinimumContentsLength(14)
        self.search_button = _button("Search", self.search)
        self.ask_button = _button("Ask", self.ask)
        self.stop_button = _button("Stop", self._stop_query)
        self.stop_button.setEnabled(False)
        # Two rows, so the search page leaves the document list and ingest report their room.
        bar = QVBoxLayout()
        first, second = QHBoxLayout(), QHBoxLayout()
        for widget in (self.query, self.search_button, self.ask_button, self.stop_button):
            first.addWidget(widget)
        first.setStretch(0, 1)
        for widget in (QLabel("k"), self.k, self.mmr, self.generate, QLabel("Search in:"),
                       self.filter):
            second.addWidget(widget)
        second.addStretch(1)
        bar.addLayout(first)
        bar.addLayout(second)

        self.results = make_table(["#", "Source", "Page", "Fused (RRF)", "Cosine", "BM25",
                               "Passage"], stretch=6)
        self.results.cellDoubleClicked.connect(lambda row, _c: self._open_hit(row))
        self.results.setToolTip("Fused: reciprocal-rank fusion of the two lists. Cosine: "
                                "meaning (vector search). BM25: keywords ('-' = no query word "
                                "in it). Double-click to open the passage.")
        self.answer_view = QTextBrowser()
        self.answer_view.setOpenLinks(False)
        self.answer_view.anchorClicked.connect(self._on_anchor)
        self.context_meter = QProgressBar()
        self.context_meter.setFormat("%v of %m context tokens (prompt, then the answer)")
        self.context_meter.setToolTip("The prompt (numbered passage sentences and question), "
                                      "then each answer token as it streams, against the "
                                      "context budget of the model.")
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(bar)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.results)
        splitter.addWidget(self.answer_view)
        splitter.setSizes([260, 340])
        layout.addWidget(splitter, 1)
        layout.addWidget(self.context_meter)
        return page

    # --------------------------------------------------------------- libraries

    def _restore(self) -> None:
        store = settings()
        folder = store.value(Key.LIBRARY_FOLDER.value, "") or str(library_folder())
        params = json.loads(store.value(Key.LIBRARY_HNSW.value, "{}") or "{}")
        try:
            self.index_panel_params = HnswParams(**params) if params else HnswParams()
        except (TypeError, ValueError):
            self.index_panel_params = HnswParams()
        self.k.setValue(int(store.value(Key.LIBRARY_K.value, 5)))
        self.mmr.setChecked(store.value(Key.LIBRARY_MMR.value, "false") == "true")
        if self.open_library(Path(folder)) or Path(folder) == library_folder():
            return
        problem = self.banner.text()
        if self.open_library(library_folder()):
            self._show_banner(f"{problem} The default library is open instead.")
        else:
            self._show_banner(f"{problem} {self.banner.text()} Choose or create another "
                              "library above.")

    def open_library(self, folder: Path) -> bool:
        """Close the current library (if idle) and open the one in folder; False on failure.

        A failure is shown in the banner and the library open before (if any) stays open.
        """
        if self._busy():
            self.progress_label.setText("Wait for the running job to finish (or cancel it) "
                                        "before switching libraries.")
            self._refresh_library_box()
            return False
        try:
            library = Library(folder, params=self.index_panel_params)
        except Exception as error:  # noqa: BLE001 - shown to the user, the tab keeps working
            log.warning("Could not open the library in %s: %s", folder, error)
            self._show_banner(f"Could not open the library in {folder}: {error}")
            self._refresh_library_box()
            self.refresh_documents()
            self._update_actions()
            return False
        if self.library is not None:
            self.library.close()
        self.library = library
        settings().setValue(Key.LIBRARY_FOLDER.value, str(folder))
        self._map_version = -1
        self._show_banner("This library's folder is read-only: search and ask work, adding "
                          "and removing documents do not." if library.read_only else "")
        self._refresh_library_box()
        self.refresh_documents()
        self._update_actions()
        return True

    def _show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def _update_actions(self) -> None:
        """Search and ask need an open library; add and remove need a writable one."""
        is_open = self.library is not None
        writable = is_open and not self.library.read_only
        idle = self._query is None
        self.search_button.setEnabled(is_open and idle)
        self.ask_button.setEnabled(is_open and idle)
        for button in self._write_buttons:
            button.setEnabled(writable and self._ingest is None)

    def _refresh_library_box(self) -> None:
        self.library_box.blockSignals(True)
        self.library_box.clear()
        current = str(self.library.folder) if self.library else ""
        for name in sorted(set(library_names()) | {"default"}):
            self.library_box.addItem(name, str(library_folder(name)))
        if current and self.library_box.findData(current) < 0:
            self.library_box.addItem(current, current)
        self.library_box.setCurrentIndex(self.library_box.findData(current))
        self.library_box.blockSignals(False)

    def _on_library_chosen(self, index: int) -> None:
        self.open_library(Path(self.library_box.itemData(index)))

    def _new_library(self) -> None:
        name, ok = QInputDialog.getText(self, "New library", "Name of the new library:")
        if ok and name.strip():
            try:
                self.open_library(library_folder(name.strip()))
            except Exception as error:  # noqa: BLE001 - a bad name gets one sentence
                show_error(self, "Could not create the library", error)

    def _open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open or create a library folder")
        if folder:
            self.open_library(Path(folder))

    def refresh_documents(self) -> None:
        if self.library is None:
            self.documents.setRowCount(0)
            self.stats.setText("No library is open.")
            return
        documents = self.library.documents()
        self.documents.setRowCount(len(documents))
        for row, d in enumerate(documents):
            values = [d.name, d.format, str(d.pages), str(d.chunk_count),
                      d.notes or d.encoding]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, d.id)
                item.setToolTip(d.path)
                self.documents.setItem(row, column, item)
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.addItem("All documents", None)
        for d in documents:
            self.filter.addItem(d.name, d.id)
        self.filter.blockSignals(False)
        stats = self.library.store.totals()
        self.stats.setText(f"{_plural(stats['documents'], 'document')}, "
                           f"{_plural(stats['chunks'], 'chunk')}, "
                           f"{_plural(stats['tokens'], 'token')} — {self.library.folder}")
        self.stats.setToolTip(str(self.library.folder))

    # ------------------------------------------------------------------ ingest

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    def _add_files_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Add documents", "", "Documents (*.pdf *.docx *.txt *.md *.markdown *.rst "
            "*.html *.htm *.csv);;All files (*)")
        if files:
            self.add_paths([Path(f) for f in files])

    def _add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add every document in a folder")
        if folder:
            self.add_paths([Path(folder)])

    def add_paths(self, paths: list[Path]) -> None:
        """Ingest files and folders on a worker, reporting each file as it finishes."""
        if self._ingest is not None:
            self.progress_label.setText("An ingest is already running; wait or cancel it.")
            return
        if self.library is None or self.library.read_only:
            self.progress_label.setText("Nothing was added: " + (
                "no library is open; choose or create one above." if self.library is None else
                f"the library folder {self.library.folder} is read-only (your documents "
                "are untouched)."))
            return
        library = self.library
        self.report.setRowCount(0)
        self.progress.setValue(0)
        self.cancel_button.setEnabled(True)
        self.remove_button.setEnabled(False)
        self.progress_label.setText("Checking files…")
        # Our own cancel flag, not the worker's: on cancel the ingest still reports every
        # remaining file (as skipped) instead of the worker dropping them.
        cancel = self._ingest_cancel = threading.Event()
        self._ingest = StreamWorker(lambda _worker_cancel: library.add(paths, cancel=cancel),
                                    self)
        self._ingest.item.connect(self._on_ingest_event)
        self._ingest.finished.connect(self._on_ingest_finished)
        self._ingest.start()

    def _on_ingest_event(self, event) -> None:
        if isinstance(event, IngestPlan):
            self._plan = event.summary()
            self.progress_label.setText(f"Plan: {self._plan}.")
        elif isinstance(event, IngestProgress) and event.stage == WAITING:
            self.progress_label.setText(WAITING[0].upper() + WAITING[1:])
        elif isinstance(event, IngestProgress):
            within = event.chunks_done / event.chunks_total if event.chunks_total else 0.0
            share = (event.file_number - 1 + within) / max(event.file_count, 1)
            self.progress.setValue(int(100 * share))
            detail = f"{event.chunks_done}/{_plural(event.chunks_total, 'chunk')} embedded" \
                if event.chunks_total else event.stage
            self.progress_label.setText(f"File {event.file_number} of {event.file_count}: "
                                        f"{Path(event.path).name} — {detail}")
        elif isinstance(event, FileReport):
            self._append_report(event)
            if event.status in ("added", "updated"):
                self.refresh_documents()

    def _append_report(self, report: FileReport) -> None:
        row = self.report.rowCount()
        self.report.insertRow(row)
        values = [Path(report.path).name, report.status, str(report.chunks), report.message]
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(report.path if column == 0 else _wrapped(value))
            if column == 1:
                item.setForeground(_colour(STATUS_COLOURS.get(report.status, "#000")))
            self.report.setItem(row, column, item)
        self.report.resizeRowToContents(row)

    def _on_ingest_finished(self, error) -> None:
        self._ingest = None
        self.cancel_button.setEnabled(False)
        self._update_actions()
        self.progress.setValue(100)
        counts = {}
        for row in range(self.report.rowCount()):
            status = self.report.item(row, 1).text()
            counts[status] = counts.get(status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in counts.items()) or "no files found"
        plan = f" (Plan: {self._plan}.)" if self._plan else ""
        self.progress_label.setText(f"Done: {summary}.{plan}")
        self.refresh_documents()
        if error is not None:
            show_error(self, "Adding documents failed", error)

    def _cancel_ingest(self) -> None:
        if self._ingest is not None:
            self._ingest_cancel.set()
            self.progress_label.setText("Cancelling after the current batch…")

    def _remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.documents.selectedIndexes()})
        if not rows or self.library is None or self._ingest is not None or \
                self._query is not None:
            return
        try:
            for row in rows:
                document_id = self.documents.item(row, 0).data(Qt.ItemDataRole.UserRole)
                record = self.library.store.document(document_id)
                if record:
                    self.library.remove(record.path)
        except GlassboxError as error:  # read-only folder, or another process is writing
            self.progress_label.setText(str(error))
        self._map_version = -1
        self.refresh_documents()

    # ------------------------------------------------------------ search / ask

    def _options(self) -> SearchOptions:
        document = self.filter.currentData()
        return SearchOptions(k=self.k.value(), mmr=self.mmr.isChecked(),
                             document_ids=(document,) if document else ())

    def _no_library(self) -> bool:
        """True (with a message in the answer pane) when there is no library to search."""
        if self.library is not None:
            return False
        self.answer_view.setHtml("<p><b>No library is open.</b> Choose one in the Library "
                                 "box above, or create one with New library….</p>")
        return True

    def search(self) -> None:
        query = self.query.text().strip()
        if not query or self._query is not None or self._no_library():
            return
        library, options = self.library, self._options()

        def job(_cancel):
            yield ("vector", library.embedder.embed_one(query))
            yield ("hits", library.search(query, options))

        self._start_query(job)

    def ask(self) -> None:
        question = self.query.text().strip()
        if not question or self._query is not None or self._no_library():
            return
        library = self.library
        options = AskOptions(k=self.k.value(), mmr=self.mmr.isChecked(),
                             generate=self.generate.isChecked())
        self.answer_view.setHtml("<i>Retrieving passages…</i>")
        self._answer_text = ""
        self._answer_tokens = 0

        def job(cancel):
            yield ("vector", library.embedder.embed_one(question))
            yield from ask(library, question, options, cancel=cancel)

        self._start_query(job)

    def _start_query(self, job) -> None:
        self._save_query_settings()
        self.search_button.setEnabled(False)
        self.ask_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self._query = StreamWorker(job, self)
        self._query.item.connect(self._on_query_event)
        self._query.finished.connect(self._on_query_finished)
        self._query.start()

    def _on_query_event(self, event) -> None:
        if isinstance(event, tuple) and event[0] == "vector":
            self._query_vector = event[1]
        elif isinstance(event, tuple):
            self._show_hits(event[1])
            self._answer = None
            self.answer_view.setHtml(_hits_summary(event[1]))
            self._update_map_query()
        elif event.kind == "retrieved":
            self._answer = event.answer
            self._show_hits([c.hit for c in event.answer.citations])
            self.context_meter.setMaximum(max(event.answer.context_tokens, 1))
            self.context_meter.setValue(event.answer.prompt_tokens)
            self.answer_view.setHtml(_answer_html(event.answer, streaming=True))
            self._update_map_query()
        elif event.kind == "token":
            self._answer_text += event.text
            self._answer_tokens += 1
            self.context_meter.setValue(min(self.context_meter.value() + 1,
                                            self.context_meter.maximum()))
            self.answer_view.setHtml(_answer_html(event.answer, streaming=True,
                                                  partial=self._answer_text))
        elif event.kind == "done":
            self._answer = event.answer
            self.answer_view.setHtml(_answer_html(event.answer))
            if event.answer.generated:
                used = event.answer.prompt_tokens + self._answer_tokens
                self.context_meter.setValue(min(used, self.context_meter.maximum()))

    def _on_query_finished(self, error) -> None:
        self._query = None
        self._update_actions()
        self.stop_button.setEnabled(False)
        if error is not None:
            show_error(self, "Search failed", error)

    def _stop_query(self) -> None:
        if self._query is not None:
            self._query.cancel()

    def _show_hits(self, hits: list) -> None:
        self._hits = hits
        self.results.setRowCount(len(hits))
        for row, hit in enumerate(hits):
            keyword = "-" if hit.keyword_score is None else f"{hit.keyword_score:.2f}"
            values = [str(row + 1), hit.name, str(hit.page), f"{hit.score:.4f}",
                      f"{hit.vector_score:.3f}", keyword, hit.preview or " ".join(
                          hit.text.split())[:200]]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(_wrapped(" ".join(hit.text.split())) if column == 6
                                else hit.source)
                self.results.setItem(row, column, item)

    # ----------------------------------------------------------- open passages

    def _on_anchor(self, url) -> None:
        match = re.fullmatch(r"cite:(\d+)", url.toString())
        if match and self._answer:
            self.open_citation(int(match.group(1)))

    def open_citation(self, n: int) -> None:
        """Show citation n's passage in its document, its best sentence highlighted."""
        citation = next((c for c in self._answer.citations if c.n == n), None)
        if citation is None:
            return
        sentence = next(((h.start, h.end) for h in self._answer.highlights if h.n == n), None)
        self._show_passage(citation.hit.document_id, (citation.hit.start, citation.hit.end),
                           sentence, citation.hit.page)

    def _open_hit(self, row: int) -> None:
        if 0 <= row < len(self._hits):
            hit = self._hits[row]
            self._show_passage(hit.document_id, (hit.start, hit.end), None, hit.page)

    def _open_chunk(self, chunk_id: int) -> None:
        record = self.library.store.chunks([chunk_id]).get(chunk_id)
        if record:
            self._show_passage(record.document_id, (record.start, record.end), None,
                               record.page_start)

    def _open_document_row(self, row: int, _column: int) -> None:
        document_id = self.documents.item(row, 0).data(Qt.ItemDataRole.UserRole)
        self._show_passage(document_id, None, None, None)
        self.document_view.show_chunks.setChecked(True)

    def _show_passage(self, document_id: int, passage, sentence, page) -> None:
        record = self.library.store.document(document_id)
        if record is None:
            return
        text, pages = self.library.store.document_text(document_id)
        chunks = self.library.store.document_chunks(document_id)
        self.document_view.show_document(name=record.name, text=text, pages=pages,
                                         chunks=chunks, passage=passage, sentence=sentence,
                                         page=page)
        self.views.setCurrentWidget(self.document_view)

    # -------------------------------------------------------------- map, index

    def _on_view_changed(self, _index: int) -> None:
        if self.views.currentWidget() is self.map:
            self.refresh_map()

    def refresh_map(self) -> None:
        """Project every chunk to 2-D on a worker (once per library version)."""
        if self._aux is not None or self.library is None:
            return
        if self._map_version == self.library.store.version:
            self._update_map_query()
            return
        library = self.library

        def job(_cancel):
            from pipelines.library.inspector import all_vectors, fit_map

            ids, vectors = all_vectors(library)
            total = len(ids)
            if total > MAP_MAX_POINTS:
                # A seeded sample keeps the plot responsive and the same between refreshes.
                keep = np.sort(np.random.default_rng(0).choice(total, MAP_MAX_POINTS,
                                                               replace=False))
                ids, vectors = ids[keep], vectors[keep]
            projection = fit_map(vectors) if len(ids) else None
            records = library.store.chunks(ids.tolist()) if len(ids) else {}
            yield ("map", ids, vectors, projection, records, library.store.version, total)

        self._start_aux(job)

    def _update_map_query(self) -> None:
        if self._projection is None or self._query_vector is None or not self._hits:
            return
        self.map.set_query(self._projection.project(self._query_vector)[0],
                           [h.chunk_id for h in self._hits])

    def _apply_params(self, params: HnswParams) -> None:
        if self.library is None or self._busy():
            return
        self.index_panel_params = params
        settings().setValue(Key.LIBRARY_HNSW.value, json.dumps(
            {"m": params.m, "ef_construction": params.ef_construction, "ef": params.ef}))
        library = self.library

        def job(_cancel):
            yield ("status", "Rebuilding the index…")
            changed = library.set_params(params)
            yield ("status", "Index rebuilt with the new settings." if changed else
                   f"Search ef set to {params.ef}.")

        self._start_aux(job)

    def _measure_recall(self, k: int) -> None:
        if self.library is None or self._aux is not None:
            return
        library = self.library

        def job(_cancel):
            from pipelines.library.inspector import measure_recall

            yield ("status", "Measuring recall…")
            yield ("recall", measure_recall(library, k=k))

        self._start_aux(job)

    def _start_aux(self, job) -> None:
        self._aux = StreamWorker(job, self)
        self._aux.item.connect(self._on_aux_event)
        self._aux.finished.connect(self._on_aux_finished)
        self._aux.start()

    def _on_aux_event(self, event) -> None:
        kind = event[0]
        if kind == "status":
            self.index_panel.status.setText(event[1])
        elif kind == "recall":
            self.index_panel.show_recall(event[1])
            count = self.library.index.count
            self.index_panel.status.setText(
                f"Recall against exact search over all {count} chunks, queried with "
                f"{min(count, 200)} of them (each plus a little noise)." if event[1]
                else "The library is empty.")
        elif kind == "map":
            self._show_map(*event[1:])

    def _show_map(self, ids, vectors, projection, records, version, total) -> None:
        self._projection, self._map_version = projection, version
        if projection is None:
            return
        tips = [" ".join(records[i].text.split())[:160] for i in ids.tolist()]
        documents = [records[i].document_id for i in ids.tolist()]
        self.map.set_points(ids, projection.project(vectors), documents, tips,
                            projection.explained, total=total)
        self._update_map_query()

    def _on_aux_finished(self, error) -> None:
        self._aux = None
        if error is not None:
            show_error(self, "The library job failed", error)

    # ------------------------------------------------------------------ helpers

    def _busy(self) -> bool:
        return any(w is not None for w in (self._ingest, self._query, self._aux))

    def _save_query_settings(self) -> None:
        store = settings()
        store.setValue(Key.LIBRARY_K.value, self.k.value())
        store.setValue(Key.LIBRARY_MMR.value, "true" if self.mmr.isChecked() else "false")

    def prepare_screenshot(self) -> None:
        """A sample library (the US Constitution and two notes) and an answered question."""
        folder = self.make_sample_folder()
        inbox = folder / "documents"
        inbox.mkdir()
        constitution = Path("/usr/share/state/us-constitution.gz")
        if constitution.exists():
            (inbox / "US Constitution.txt").write_bytes(gzip.decompress(
                constitution.read_bytes()))
        (inbox / "moon notes.md").write_text(
            "# The Moon\n\nThe Moon orbits the Earth every twenty seven days and raises the "
            "tides.\n", encoding="utf-8")
        (inbox / "empty.txt").write_bytes(b"")
        self.open_library(folder / "library")
        self.add_paths([inbox])
        if self._ingest is not None:
            wait_for(self._ingest, SCREENSHOT_TIMEOUT_MS)
        self.query.setText(SAMPLE_QUESTION)
        self.ask()
        if self._query is not None:
            wait_for(self._query, SCREENSHOT_TIMEOUT_MS)

    def make_sample_folder(self) -> Path:
        """A temporary folder for the screenshot's sample library; shutdown() removes it."""
        if self._sample_dir is None:
            self._sample_dir = Path(tempfile.mkdtemp(prefix="glassbox-library-sample-"))
        return self._sample_dir

    def shutdown(self) -> None:
        """Cancel the workers (waiting at most SHUTDOWN_MS in all), close, remove the sample."""
        self._ingest_cancel.set()
        workers = [w for w in (self._ingest, self._query, self._aux) if w is not None]
        for worker in workers:
            worker.cancel()
        deadline = time.monotonic() + SHUTDOWN_MS / 1000
        for worker in workers:
            worker.wait(max(0, int((deadline - time.monotonic()) * 1000)))
        if self.library is not None:
            self.library.close()
            self.library = None
        if self._sample_dir is not None:
            shutil.rmtree(self._sample_dir, ignore_errors=True)
            self._sample_dir = None


def _button(text: str, slot) -> QPushButton:
    button = QPushButton(text)
    button.clicked.connect(slot)
    return button


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _wrapped(text: str) -> str:
    """Plain text as a tooltip Qt wraps (rich text wraps; a long plain line does not)."""
    return f"<qt>{html.escape(text)}</qt>"


def _colour(name: str):
    from PySide6.QtGui import QColor

    return QColor(name)


def _hits_summary(hits: list) -> str:
    if not hits:
        return "<i>No results: the library is empty or nothing matched.</i>"
    return ("<i>Double-click a result to open it in its document. Press Ask for an answer "
            "with citations.</i>")


def _linked(text: str, count: int) -> str:
    """Escape text and turn [n] into links to citation n (when n exists)."""
    def link(match):
        n = int(match.group(1))
        return f"<a href='cite:{n}'>[{n}]</a>" if 1 <= n <= count else match.group(0)

    return re.sub(r"\[(\d+)\]", link, html.escape(text)).replace("\n", "<br>")


def _answer_html(answer, *, streaming: bool = False, partial: str = "") -> str:
    """The answer, its highlighted sentences and its numbered sources, as rich text."""
    count = len(answer.citations)
    if not answer.relevant:
        return f"<p><b>{html.escape(answer.text)}</b></p>"
    body = partial if streaming else answer.text
    label = "Model's answer (a small model: check it against the sentences below)" \
        if answer.generated or streaming else "Extractive answer"
    parts = [f"<p><b>{label}</b><br>{_linked(body, count)}{' ▌' if streaming else ''}</p>"]
    if answer.highlights:
        parts.append("<p><b>Best-matching sentences</b> (click a number to open the passage)"
                     ":</p><ul>")
        for h in answer.highlights:
            parts.append(f"<li><span style='background:#ffc857'>{html.escape(h.sentence)}"
                         f"</span> <a href='cite:{h.n}'>[{h.n}]</a> "
                         f"<span style='color:#777'>({h.score:.2f})</span></li>")
        parts.append("</ul>")
    parts.append("<p><b>Sources</b></p><ol>")
    for c in answer.citations:
        parts.append(f"<li><a href='cite:{c.n}'>{html.escape(c.hit.name)}, page "
                     f"{c.hit.page}</a> <span style='color:#777'>cosine "
                     f"{c.hit.vector_score:.2f}</span></li>")
    parts.append("</ol>")
    for note in answer.notes:
        parts.append(f"<p style='color:#a15c00'>Note: {html.escape(note)}</p>")
    return "".join(parts)
