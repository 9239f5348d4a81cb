"""Option pages of the Text cleaning tab: the regex editor, the stopword list, the stemmer."""

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from inference.errors import GlassboxError

CUSTOM = "custom"
STEMMER_TIPS = {
    "porter": "Porter (1980): the classic, moderate rules. \"university\" -> \"univers\".",
    "snowball": "Snowball (Porter2): Porter's own revision, a little more careful; the usual "
                "choice.",
    "lancaster": "Lancaster (Paice/Husk): the most aggressive; short stems, more words merged "
                 "and more non-words.",
}


class RegexOptions(QWidget):
    """Preset or free pattern with replacement; shows the error of an invalid pattern."""

    changed = Signal()

    def __init__(self, parent=None):
        from pipelines.cleaning.regex_step import PRESETS

        super().__init__(parent)
        self.preset = QComboBox()
        for name, preset in PRESETS.items():
            self.preset.addItem(name, name)
            self.preset.setItemData(self.preset.count() - 1, preset.description,
                                    role=3)  # Qt.ToolTipRole
        self.preset.addItem("custom pattern", CUSTOM)
        self.preset.setToolTip("A ready pattern, or \"custom pattern\" to write your own.")
        self.pattern = QLineEdit()
        self.pattern.setToolTip("A Python regular expression. Matches are highlighted in the "
                                "input as you type; [^a-zA-Z\\s] means \"any character that is "
                                "not a letter a-z or whitespace\".")
        self.replacement = QLineEdit()
        self.replacement.setPlaceholderText("(empty: delete matches)")
        self.replacement.setToolTip("What each match becomes; empty deletes it. A space is "
                                    "safer between words; \\1 inserts group 1.")
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.matches = QLabel("")
        self._layout()
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self.pattern.textEdited.connect(self._pattern_edited)
        self.replacement.textEdited.connect(lambda _t: self.changed.emit())
        self._preset_chosen()

    def _layout(self) -> None:
        form = QFormLayout(self)
        form.addRow("Preset", self.preset)
        form.addRow("Pattern", self.pattern)
        form.addRow("Replace with", self.replacement)
        form.addRow(self.matches)
        form.addRow(self.error)

    def _preset_chosen(self) -> None:
        from pipelines.cleaning.regex_step import PRESETS

        name = self.preset.currentData()
        if name != CUSTOM:
            self.pattern.setText(PRESETS[name].pattern)
            self.replacement.setText(PRESETS[name].replacement)
        self.changed.emit()

    def _pattern_edited(self, _text: str) -> None:
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(self.preset.findData(CUSTOM))
        self.preset.blockSignals(False)
        self.changed.emit()

    def values(self) -> dict:
        """Options for CleaningOptions: the free pattern, or the preset when one is chosen."""
        name = self.preset.currentData()
        if name == CUSTOM:
            return {"pattern": self.pattern.text(), "replacement": self.replacement.text()}
        return {"preset": name, "pattern": None, "replacement": ""}

    def set_values(self, preset: str, pattern: str, replacement: str) -> None:
        index = self.preset.findData(preset)
        self.preset.setCurrentIndex(index if index >= 0 else self.preset.findData(CUSTOM))
        if self.preset.currentData() == CUSTOM:
            self.pattern.setText(pattern)
            self.replacement.setText(replacement)

    def check(self, text: str) -> list[tuple[int, int]]:
        """Validate the pattern; show its error or the match count. Returns match spans."""
        from pipelines.cleaning.regex_step import find_matches

        try:
            spans = find_matches(self.pattern.text(), text, limit=5000, timeout_s=0.3)
        except GlassboxError as error:
            self.error.setText(str(error))
            self.matches.setText("")
            return []
        self.error.setText("")
        more = "+" if len(spans) >= 5000 else ""
        self.matches.setText(f"{len(spans):,}{more} match(es) highlighted in the input")
        return spans


class StopwordOptions(QWidget):
    """The editable stopword list and the negation guard."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.keep_negations = QCheckBox("Keep negations (not, no, nor, never, n't…)")
        self.keep_negations.setToolTip("Negations are on NLTK's list, but removing them turns "
                                       "\"not good\" into \"good\". Tick to keep them.")
        self.words = QPlainTextEdit()
        self.words.setToolTip("One stopword per line; edit freely. Matching ignores case.")
        self.reset = QPushButton("Reset to NLTK's English list")
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #a15c00;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.keep_negations, self.warning, self.words, self.reset):
            layout.addWidget(widget)
        self.keep_negations.toggled.connect(self._edited)
        self.words.textChanged.connect(self._edited)
        self.reset.clicked.connect(self.load_default)

    def load_default(self) -> None:
        from pipelines.cleaning.nltk_resources import english_stopwords

        try:
            self.words.setPlainText("\n".join(sorted(english_stopwords())))
        except GlassboxError as error:
            self.warning.setText(str(error))

    def word_set(self) -> frozenset[str]:
        return frozenset(line.strip() for line in self.words.toPlainText().splitlines()
                         if line.strip())

    def _edited(self) -> None:
        from pipelines.cleaning.stopwords_step import negations_in

        negations = negations_in(frozenset(w.lower() for w in self.word_set()))
        if negations and not self.keep_negations.isChecked():
            shown = ", ".join(negations[:6]) + ("…" if len(negations) > 6 else "")
            self.warning.setText(f"Warning: the list removes negations ({shown}); that can "
                                 "reverse a sentence's meaning.")
        else:
            self.warning.setText("")
        self.changed.emit()


class StemOptions(QWidget):
    """Which stemmer the stem step uses."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.stemmer = QComboBox()
        for name, tip in STEMMER_TIPS.items():
            self.stemmer.addItem(name)
            self.stemmer.setItemData(self.stemmer.count() - 1, tip, role=3)
        self.stemmer.setToolTip("The stemmer the stem step uses. The Stemmers view below runs "
                                "all three side by side.")
        self.stemmer.currentIndexChanged.connect(lambda _i: self.changed.emit())
        form = QFormLayout(self)
        form.addRow("Stemmer", self.stemmer)
