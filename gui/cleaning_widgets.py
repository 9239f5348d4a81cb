"""Widgets of the Text cleaning tab: step list, drop-aware editors, meter, highlight helpers."""

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (QAbstractItemView, QGridLayout, QHBoxLayout, QLabel,
                               QListWidget, QListWidgetItem, QPlainTextEdit, QProgressBar,
                               QTextEdit, QWidget)

# Colours of the diff: light enough that the text stays readable.
REMOVED = QColor(255, 196, 196)
CHANGED = QColor(255, 226, 160)
ADDED = QColor(196, 238, 196)
MATCH = QColor(170, 205, 255)

STEP_INFO = {
    "unicode": ("Unicode normalisation",
                "Curly quotes and apostrophes become straight ones, non-breaking and thin "
                "spaces become plain spaces, ligatures such as \"ﬁ\" become \"fi\" (NFKC).\n"
                "Cheap and almost always worth it: the tokenizer sees ’ and ' as different "
                "symbols, so one word can cost different tokens."),
    "lower": ("Lowercase",
              "Every letter in lower case.\nFewer distinct words for search and counting, but "
              "names lose their capital: \"Apple\" the company and \"apple\" the fruit merge."),
    "contractions": ("Expand contractions",
                     "\"don't\" and \"don’t\" become \"do not\", \"I'd\" becomes \"I would\".\n"
                     "Keeps negations visible as the word \"not\" for the stopword step. "
                     "\"o'clock\" is left alone, and \"'s\"/\"'d\" before \"been\" become "
                     "has/had; other ambiguous ones (\"he's\") are flagged."),
    "regex": ("Regex replace",
              "Replace every match of a regular expression (a preset or your own pattern).\n"
              "[^a-zA-Z\\s] keeps only a-z letters: it also removes digits, accents and every "
              "other script, which the pitfall panel will show."),
    "stopwords": ("Remove stopwords",
                  "Drop very frequent function words (NLTK's 198-word English list, editable)."
                  "\nSaves many tokens, but the list contains \"not\", \"no\" and \"nor\": "
                  "removing them can reverse a sentence's meaning."),
    "lemmatize": ("Lemmatize (WordNet)",
                  "Reduce each word to its dictionary form using its part of speech, decided by "
                  "a tagger: \"running\"/\"ran\" -> \"run\", \"geese\" -> \"goose\", "
                  "\"better\" (adjective) -> \"good\".\nOutput stays readable; slower than "
                  "stemming because every sentence is tagged."),
    "stem": ("Stem",
             "Chop suffixes by rule (Porter, Snowball or Lancaster): fast, but stems are often "
             "not words (\"university\" -> \"univers\").\nGood for search indexes, bad for text "
             "a model should learn to write."),
    "tidy": ("Tidy whitespace and punctuation",
             "Collapse repeated spaces, remove spaces before punctuation and commas left "
             "orphaned by other steps, limit blank lines to one.\nRun it last."),
}


class StepList(QListWidget):
    """Checkable, drag-to-reorder list of cleaning steps; emits changed on any edit."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setToolTip("Tick the steps to run; drag a step to change the order they run in.")
        self.itemChanged.connect(lambda _item: self.changed.emit())
        self.model().rowsMoved.connect(lambda *_: self.changed.emit())

    def set_steps(self, order: list[str], enabled: set[str]) -> None:
        self.blockSignals(True)
        self.clear()
        for name in order:
            label, tip = STEP_INFO[name]
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(tip)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable
                          | Qt.ItemFlag.ItemIsDragEnabled)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDropEnabled)
            item.setCheckState(Qt.CheckState.Checked if name in enabled
                               else Qt.CheckState.Unchecked)
            self.addItem(item)
        self.blockSignals(False)
        self.changed.emit()

    def order(self) -> list[str]:
        return [self.item(row).data(Qt.ItemDataRole.UserRole) for row in range(self.count())]

    def enabled_steps(self) -> tuple[str, ...]:
        return tuple(self.item(row).data(Qt.ItemDataRole.UserRole) for row in range(self.count())
                     if self.item(row).checkState() == Qt.CheckState.Checked)

    def move(self, name: str, row: int) -> None:
        """Move a step to row (what a drag does), for keyboard users and tests."""
        current = self.order().index(name)
        item = self.takeItem(current)
        self.insertItem(row, item)
        self.setCurrentItem(item)
        self.changed.emit()


class DropTextEdit(QPlainTextEdit):
    """A plain-text editor that takes dropped files: emits file_dropped with the path."""

    file_dropped = Signal(Path)

    def canInsertFromMimeData(self, source) -> bool:  # noqa: N802 - Qt override
        return source.hasUrls() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source) -> None:  # noqa: N802 - Qt override
        files = [Path(url.toLocalFile()) for url in source.urls() if url.isLocalFile()]
        if files:
            self.file_dropped.emit(files[0])
            return
        super().insertFromMimeData(source)


class Meter(QWidget):
    """Characters, words and model tokens before and after, and the saving in percent."""

    ROWS = (("chars", "Characters"), ("words", "Words"), ("tokens", "Model tokens"))

    def __init__(self, parent=None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for column, title in enumerate(("", "Before", "After", "Saved")):
            grid.addWidget(_bold(title), 0, column)
        self._cells = {}
        for row, (key, title) in enumerate(self.ROWS, start=1):
            grid.addWidget(QLabel(title), row, 0)
            self._cells[key] = [QLabel("-") for _ in range(3)]
            for column, label in enumerate(self._cells[key], start=1):
                label.setAlignment(Qt.AlignmentFlag.AlignRight)
                grid.addWidget(label, row, column)
        grid.addLayout(self._bar_row(), len(self.ROWS) + 1, 0, 1, 4)
        self.setToolTip("Size of the text before and after cleaning. Model tokens are what the "
                        "language model actually reads and what training and context cost.")

    def _bar_row(self) -> QHBoxLayout:
        # The saving is written beside the bar, not on it: text drawn across the edge of the
        # fill is half on one colour and half on another, and hard to read.
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(14)
        self.bar_label = QLabel("tokens saved: -")
        tip = ("The \"bang for your buck\" of cleaning: the share of model tokens (counted with "
               "the language model's own tokenizer) the chosen steps removed. Fewer tokens "
               "means cheaper, longer-context training; check the pitfalls for what it cost.")
        self.bar.setToolTip(tip)
        self.bar_label.setToolTip(tip)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.bar_label)
        return row

    def show_measures(self, before, after, saving) -> None:
        for key, _ in self.ROWS:
            b, a = getattr(before, key), getattr(after, key)
            percent = saving(b, a)
            values = [_number(b), _number(a), "-" if percent is None else f"{percent:.1f}%"]
            for label, value in zip(self._cells[key], values):
                label.setText(value)
        token_saving = saving(before.tokens, after.tokens)
        self.bar.setValue(max(0, round(token_saving)) if token_saving is not None else 0)
        self.bar_label.setText(f"tokens saved: {token_saving:.0f}%" if token_saving is not None
                               else "tokens: n/a (see pitfalls)")

    def value(self, key: str) -> list[str]:
        return [label.text() for label in self._cells[key]]


def _number(value) -> str:
    return "n/a" if value is None else f"{value:,}"


def _bold(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setAlignment(Qt.AlignmentFlag.AlignRight)
    return label


def qt_spans(text: str, spans) -> list[tuple[int, int]]:
    """Python (code point) spans as Qt (UTF-16) positions: emoji count twice in Qt."""
    if all(ord(ch) < 0x10000 for ch in text):
        return list(spans)
    offsets, position = [], 0
    for ch in text:
        offsets.append(position)
        position += 2 if ord(ch) >= 0x10000 else 1
    offsets.append(position)
    return [(offsets[start], offsets[end]) for start, end in spans]


# Each highlight is a text cursor; beyond a few thousand the editor slows to a crawl.
MAX_HIGHLIGHTS = 5000


def selections(edit, text: str, spans, colour: QColor, *, underline: bool = False,
               tooltip: str = "") -> list:
    """ExtraSelections colouring (start, end) spans of text shown in edit (the first 5000)."""
    found = []
    for start, end in qt_spans(text, list(spans)[:MAX_HIGHLIGHTS]):
        selection = QTextEdit.ExtraSelection()
        fmt = QTextCharFormat()
        if underline:
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
            fmt.setUnderlineColor(colour.darker(160))
        fmt.setBackground(colour)
        if tooltip:
            fmt.setToolTip(tooltip)
        selection.format = fmt
        cursor = QTextCursor(edit.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        found.append(selection)
    return found
