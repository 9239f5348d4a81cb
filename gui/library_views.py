"""Library tab widgets: a document viewer with highlights and chunk bands, the embedding map,
and the HNSW settings with the recall inspector."""

import html
import logging

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem,
                               QTextBrowser, QVBoxLayout, QWidget)

from pipelines.library.vector_index import HnswParams

log = logging.getLogger(__name__)

PASSAGE_COLOUR = QColor("#fff3b0")
SENTENCE_COLOUR = QColor("#ffc857")
CHUNK_COLOURS = [QColor("#e3f2fd"), QColor("#e8f5e9")]
OVERLAP_COLOUR = QColor("#d1c4e9")


class DocumentView(QWidget):
    """A document's text with one passage (and its best sentence) highlighted, or its chunks."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("Click a citation or a result to open its passage here.")
        self.title.setWordWrap(True)
        self.show_chunks = QCheckBox("Show chunks")
        self.show_chunks.setToolTip("Colour each chunk the embedder sees, alternating; "
                                    "purple text is in two chunks (the overlap). Hover for "
                                    "token counts in the list below.")
        self.show_chunks.toggled.connect(self._redraw)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.chunk_table = make_table(["Chunk", "Pages", "Characters", "Tokens"])
        self.chunk_table.setMaximumHeight(150)
        self.chunk_table.cellClicked.connect(self._on_chunk_clicked)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.show_chunks)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.chunk_table)
        self._document = None
        self._passage = None
        self._sentence = None
        self._chunks = []

    def show_document(self, *, name: str, text: str, pages: list, chunks: list,
                      passage: tuple[int, int] | None = None,
                      sentence: tuple[int, int] | None = None, page: int | None = None) -> None:
        """Show text; passage and sentence are (start, end) character offsets into it."""
        self._document = text
        self._passage, self._sentence, self._chunks = passage, sentence, chunks
        where = f", page {page}" if page else ""
        self.title.setText(f"<b>{html.escape(name)}</b>{where} — {len(pages)} page(s), "
                           f"{len(chunks)} chunks")
        self._fill_chunk_table(chunks)
        self._redraw()

    def _fill_chunk_table(self, chunks: list) -> None:
        self.chunk_table.setRowCount(len(chunks))
        for row, chunk in enumerate(chunks):
            pages = str(chunk.page_start) if chunk.page_start == chunk.page_end else \
                f"{chunk.page_start}-{chunk.page_end}"
            values = [str(chunk.index + 1), pages, f"{chunk.start}-{chunk.end}",
                      str(chunk.token_count)]
            for column, value in enumerate(values):
                self.chunk_table.setItem(row, column, QTableWidgetItem(value))

    def _redraw(self) -> None:
        if self._document is None:
            return
        self.text.setPlainText(self._document)
        if self.show_chunks.isChecked():
            self._paint_chunks()
        if self._passage:
            self._paint(*self._passage, PASSAGE_COLOUR)
        if self._sentence:
            self._paint(*self._sentence, SENTENCE_COLOUR, bold=True)
        target = self._sentence or self._passage
        if target:
            self._scroll_to(target[0])

    def _paint_chunks(self) -> None:
        previous_end = 0
        for number, chunk in enumerate(self._chunks):
            self._paint(chunk.start, chunk.end, CHUNK_COLOURS[number % 2])
            if chunk.start < previous_end:
                self._paint(chunk.start, previous_end, OVERLAP_COLOUR)
            previous_end = chunk.end

    def _paint(self, start: int, end: int, colour: QColor, *, bold: bool = False) -> None:
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(start)
        cursor.setPosition(min(end, len(self._document)), QTextCursor.MoveMode.KeepAnchor)
        fmt = QTextCharFormat()
        fmt.setBackground(colour)
        if bold:
            fmt.setFontWeight(700)
        cursor.mergeCharFormat(fmt)

    def _scroll_to(self, offset: int) -> None:
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(offset)
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()

    def _on_chunk_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._chunks):
            chunk = self._chunks[row]
            self._passage, self._sentence = (chunk.start, chunk.end), None
            self._redraw()

    def highlighted_text(self) -> str:
        """The highlighted passage (for tests and copying)."""
        if not self._passage or self._document is None:
            return ""
        return self._document[self._passage[0]:self._passage[1]]


class EmbeddingMap(QWidget):
    """Every chunk as a point (first two principal components), the query and its hits."""

    point_clicked = Signal(int)  # chunk id

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setLabel("bottom", "principal component 1")
        self.plot.setLabel("left", "principal component 2")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.points = pg.ScatterPlotItem(size=7, pen=None, hoverable=True)
        self.hits = pg.ScatterPlotItem(size=12, pen=pg.mkPen("#b71c1c", width=2),
                                       brush=pg.mkBrush(0, 0, 0, 0))
        self.query = pg.ScatterPlotItem(size=18, symbol="star", pen=pg.mkPen("k"),
                                        brush=pg.mkBrush("#ffb300"))
        for item in (self.points, self.hits, self.query):
            self.plot.addItem(item)
        self.points.sigClicked.connect(self._on_click)
        self.caption = QLabel("Add documents and search to see the map.")
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.caption)
        self._ids = np.zeros(0, np.int64)
        self._coords = np.zeros((0, 2))

    def set_points(self, ids: np.ndarray, coords: np.ndarray, documents: list[int],
                   tips: list[str], explained: tuple[float, float], *, total: int) -> None:
        self._ids, self._coords = ids, coords
        palette = [pg.intColor(d, hues=9, alpha=150) for d in documents]
        self.points.setData(pos=coords, brush=palette, data=list(ids), tip=None)
        self.points.setToolTip("")
        self._tips = dict(zip(ids.tolist(), tips))
        shown = f"{len(ids)} chunks" if total == len(ids) else \
            f"a sample of {len(ids):,} of {total:,} chunks"
        self.caption.setText(f"{shown.capitalize()} coloured by document. The two axes keep "
                             f"{100 * (explained[0] + explained[1]):.0f}% of the variance of "
                             "the 384-d vectors. Star: query; red circles: its hits.")

    def set_query(self, query_xy: np.ndarray | None, hit_ids: list[int]) -> None:
        if query_xy is None:
            self.query.setData([])
            self.hits.setData([])
            return
        self.query.setData(pos=[query_xy])
        rows = [i for i, chunk_id in enumerate(self._ids.tolist()) if chunk_id in hit_ids]
        self.hits.setData(pos=self._coords[rows] if rows else [])

    def _on_click(self, _item, spots, *_args) -> None:
        if spots:
            chunk_id = int(spots[0].data())
            self.plot.setToolTip(self._tips.get(chunk_id, ""))
            self.point_clicked.emit(chunk_id)


class IndexPanel(QWidget):
    """HNSW settings and the recall inspector's table and curve."""

    apply_requested = Signal(object)  # HnswParams
    inspect_requested = Signal(int)  # k

    def __init__(self, params: HnswParams, parent=None):
        super().__init__(parent)
        self.m = _spin(2, 128, params.m, "Links per node in the graph. More links: better "
                                        "recall, more memory, slower building.")
        self.ef_construction = _spin(10, 2000, params.ef_construction,
                                     "Candidates considered while linking a new vector. "
                                     "Higher: a better graph, slower building.")
        self.ef = _spin(1, 5000, params.ef, "Candidates kept while searching. Higher: better "
                                           "recall, slower queries. Takes effect at once.")
        self.k = _spin(1, 100, 10, "Recall@k: the share of the exact k nearest neighbours "
                                   "the index finds.")
        self.apply_button = QPushButton("Apply (rebuilds if M or ef_construction changed)")
        self.apply_button.clicked.connect(self._on_apply)
        self.inspect_button = QPushButton("Measure recall against exact search")
        self.inspect_button.clicked.connect(lambda: self.inspect_requested.emit(self.k.value()))
        self.status = QLabel("")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("M", self.m)
        form.addRow("ef_construction", self.ef_construction)
        form.addRow("ef (search)", self.ef)
        form.addRow("k for recall", self.k)
        box = QGroupBox("HNSW index")
        box.setLayout(form)
        self.table = make_table(["ef", "recall@k", "median ms", "p95 ms", "exact ms"])
        self.curve = pg.PlotWidget(background="w")
        self.curve.setLabel("bottom", "ef")
        self.curve.setLabel("left", "recall@k")
        self.curve.setYRange(0, 1.02)

        layout = QVBoxLayout(self)
        layout.addWidget(box)
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.inspect_button)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        layout.addWidget(self.curve, 1)

    def params(self) -> HnswParams:
        return HnswParams(self.m.value(), self.ef_construction.value(), self.ef.value())

    def _on_apply(self) -> None:
        self.apply_requested.emit(self.params())

    def show_recall(self, points: list) -> None:
        self.table.setRowCount(len(points))
        for row, p in enumerate(points):
            values = [str(p.ef), f"{p.recall:.3f}", f"{p.median_ms:.3f}", f"{p.p95_ms:.3f}",
                      f"{p.exact_median_ms:.3f}"]
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.curve.clear()
        self.curve.plot([p.ef for p in points], [p.recall for p in points], symbol="o",
                        pen=pg.mkPen("#1565c0", width=2))


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


def make_table(columns: list[str], *, stretch: int | None = None) -> QTableWidget:
    """A read-only table; with stretch, that column takes the room and the rest fit content."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    if stretch is None:
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    else:
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    table.setAlternatingRowColors(True)
    # One line per row, elided (tooltips hold the full text) instead of wrapping at odd places.
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    return table
