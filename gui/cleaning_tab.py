"""The Text cleaning tab: switch steps on and off, see what each did and what it saved."""

import html
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QListWidget, QListWidgetItem, QProgressBar, QPushButton,
                               QSplitter, QStackedWidget, QTableWidget, QTableWidgetItem,
                               QTabWidget, QTextBrowser, QTextEdit, QVBoxLayout, QWidget)

from gui.cleaning_batch import BatchPanel
from gui.cleaning_options import RegexOptions, StemOptions, StopwordOptions
from gui.cleaning_widgets import (ADDED, CHANGED, MATCH, REMOVED, STEP_INFO, DropTextEdit,
                                  Meter, StepList, selections)
from gui.errors import show_error
from gui.settings import Key, settings
from gui.workers import StreamWorker
from inference.errors import GlassboxError, InvalidSettingError

log = logging.getLogger(__name__)

DEBOUNCE_MS = 350
ERROR_COLOUR = "#b00020"
# The editor shows at most this much of a dropped file; the Batch view cleans whole files.
MAX_EDITOR_CHARS = 1 << 20
MAX_SAVED_INPUT_CHARS = 100_000
DEFAULT_ORDER = ["unicode", "contractions", "lower", "regex", "stopwords", "lemmatize", "stem",
                 "tidy"]
DEFAULT_ENABLED = {"unicode", "contractions", "lower", "stopwords", "lemmatize", "tidy"}
SAMPLE_TEXT = (
    "The striped bats weren’t hanging on their feet; they were running better than geese.\n\n"
    "Dr. Ada Lovelace didn’t think the Analytical Engine could originate anything. "
    "In 1843 she wrote that it does only what we know how to order it to perform, and "
    "she’s been quoted ever since.\n\n"
    "This café’s ﬁrst review said the coffee was not good… but the university students "
    "who studied there were happily arguing about generalizations until 5 o’clock!!"
)


# Sent by the worker before it loads data, so the first run can say why it takes a while.
LOADING = "loading"


@dataclass
class Outcome:
    """What the worker computed for one run, tagged with the run it belongs to."""

    run: int
    source: str
    result: object
    diff: object
    stem_rows: list


def _clean_job(run: int, text: str, options):
    """The worker job: clean, diff and compare stemmers off the event-loop thread."""
    from pipelines.cleaning.diff import word_diff
    from pipelines.cleaning.pipeline import clean_text, warm_up
    from pipelines.cleaning.stemming import compare_stemmers

    def job(cancel):
        yield LOADING
        warm_up(options)
        yield None
        result = clean_text(text, options)
        yield None
        rows = [] if cancel.is_set() else compare_stemmers(text, limit=300)
        yield Outcome(run, text, result, word_diff(text, result.text), rows)

    return job


class CleaningTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._run = 0
        self._worker: StreamWorker | None = None
        self._pending = False
        self._outcome: Outcome | None = None
        self._stale = ""  # why the shown results are out of date ("" when they are current)
        self._persist = True
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.clean_now)
        self._build()
        self._restore()
        self._connect()

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addLayout(self._toolbar())
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self._left_panel())
        self.splitter.addWidget(self._centre())
        self.splitter.addWidget(self._right_panel())
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 760, 300])
        layout.addWidget(self.splitter, 1)

    def _toolbar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        open_button = QPushButton("Open file…")
        open_button.setToolTip("Load a text file into the input (or drop one onto it). "
                               "Encodings are detected: UTF-8, UTF-16 with BOM, cp1252.")
        open_button.clicked.connect(self._open_file)
        sample = QPushButton("Sample text")
        sample.setToolTip("A short text full of the cases cleaning gets wrong: curly quotes, "
                          "contractions, names, numbers, negations.")
        sample.clicked.connect(lambda: self.input.setPlainText(SAMPLE_TEXT))
        self.live = QCheckBox("Live")
        self.live.setChecked(settings().value(Key.CLEANING_LIVE.value, True, type=bool))
        self.live.toggled.connect(self._live_toggled)
        self.live.setToolTip("Clean again a moment after every edit. Untick for very long "
                             "texts and press Clean.")
        self.clean_button = QPushButton("Clean")
        self.clean_button.clicked.connect(self.clean_now)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setVisible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        for widget in (open_button, sample, self.live, self.clean_button, self.busy):
            row.addWidget(widget)
        row.addWidget(self.status, 1)
        return row

    def _left_panel(self) -> QWidget:
        self.steps = StepList()
        self.regex_options = RegexOptions()
        self.stopword_options = StopwordOptions()
        self.stem_options = StemOptions()
        self.option_pages = QStackedWidget()
        self._page_index = {}
        for name in DEFAULT_ORDER:
            page = {"regex": self.regex_options, "stopwords": self.stopword_options,
                    "stem": self.stem_options}.get(name) or _info_page(name)
            self._page_index[name] = self.option_pages.addWidget(page)
        steps_box = _group("Steps (tick, drag to reorder)", self.steps)
        self.options_box = _group("Step options", self.option_pages)
        panel = QSplitter(Qt.Orientation.Vertical)
        panel.addWidget(steps_box)
        panel.addWidget(self.options_box)
        panel.setSizes([260, 420])
        return panel

    def _centre(self) -> QWidget:
        self.input = DropTextEdit()
        self.input.setPlaceholderText("Paste or type text, or drop a file here.")
        self.input.setToolTip("The text to clean. After cleaning, removed words are red and "
                              "changed words amber; regex matches are blue.")
        self.output = QTextEdit()
        self.output.setReadOnly(True)
        self.output.setToolTip("The cleaned text. Amber: a word some step changed; green: a "
                               "word that was not in the input (e.g. an expansion).")
        panes = QSplitter(Qt.Orientation.Horizontal)
        panes.addWidget(_group("Input", self.input))
        self.output_box = _group("Output", self.output)
        panes.addWidget(self.output_box)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(panes, 1)
        top_layout.addWidget(_legend())
        self.views = QTabWidget()
        self.views.addTab(self._diff_view(), "Word diff")
        self.views.addTab(self._stemmer_view(), "Stemmers")
        self.views.addTab(self._steps_view(), "Steps")
        self.batch = BatchPanel(self.current_options)
        self.views.addTab(self.batch, "Batch")
        centre = QSplitter(Qt.Orientation.Vertical)
        centre.addWidget(top)
        centre.addWidget(self.views)
        centre.setSizes([430, 250])
        return centre

    def _diff_view(self) -> QWidget:
        self.diff_view = QTextBrowser()
        self.diff_view.setToolTip("Input and output merged word by word: struck-through red "
                                  "words were removed or replaced, green words are what "
                                  "replaced them.")
        return self.diff_view

    def _stemmer_view(self) -> QWidget:
        self.only_disagreements = QCheckBox("Only words where the stemmers disagree")
        self.only_disagreements.toggled.connect(self._show_stem_rows)
        self.stem_table = QTableWidget(0, 4)
        self.stem_table.setHorizontalHeaderLabels(["Word", "Porter", "Snowball", "Lancaster"])
        self.stem_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.stem_table.verticalHeader().setVisible(False)
        self.stem_table.verticalHeader().setDefaultSectionSize(22)
        self.stem_table.setToolTip("Every distinct word of the input through all three "
                                   "stemmers. Amber rows: the stemmers disagree. Red cells: "
                                   "the stem is not an English word (over-stemming).")
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addWidget(self.only_disagreements)
        layout.addWidget(self.stem_table)
        return box

    def _steps_view(self) -> QWidget:
        self.step_table = QTableWidget(0, 6)
        self.step_table.setHorizontalHeaderLabels(
            ["Step", "Changed", "Removed", "Characters", "Time (ms)", "Examples"])
        self.step_table.horizontalHeader().setStretchLastSection(True)
        self.step_table.verticalHeader().setVisible(False)
        self.step_table.setToolTip("What each step did, in the order it ran.")
        return self.step_table

    def _right_panel(self) -> QWidget:
        self.meter = Meter()
        self.pitfalls = QListWidget()
        self.pitfalls.setWordWrap(True)
        self.pitfalls.setAlternatingRowColors(True)
        self.pitfalls.setSpacing(2)
        self.pitfalls.setToolTip("What the chosen steps may have cost on this text: negations "
                                 "dropped, over-stemmed words, names altered, numbers removed.")
        self.stale_note = QLabel("")
        self.stale_note.setWordWrap(True)
        self.stale_note.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold;")
        self.stale_note.setVisible(False)
        self.meter_box = _group("Meter", self.meter)
        self.pitfalls_box = _group("Pitfalls", self.pitfalls)
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stale_note)
        layout.addWidget(self.meter_box)
        layout.addWidget(self.pitfalls_box, 1)
        return panel

    # -------------------------------------------------------------- behaviour

    def _connect(self) -> None:
        self.input.textChanged.connect(self._input_edited)
        self.input.file_dropped.connect(self.load_file)
        for widget in (self.steps, self.regex_options, self.stopword_options, self.stem_options):
            widget.changed.connect(self._settings_edited)
        self.steps.currentItemChanged.connect(self._show_options)
        self.regex_options.changed.connect(self._highlight_input)

    def _show_options(self, item, _previous=None) -> None:
        if item is not None:
            name = item.data(Qt.ItemDataRole.UserRole)
            self.option_pages.setCurrentIndex(self._page_index[name])
            self.options_box.setTitle(f"Options: {STEP_INFO[name][0]}")

    def _input_edited(self) -> None:
        self._highlight_input()
        self._schedule()

    def _settings_edited(self) -> None:
        self._save()
        self._highlight_input()
        if "regex" in self.steps.enabled_steps() and self.regex_options.error.text():
            # Say at once that the results shown no longer match the settings.
            self.mark_stale("fix the pattern")
        self._schedule()

    def _live_toggled(self, on: bool) -> None:
        if self._persist:
            settings().setValue(Key.CLEANING_LIVE.value, on)

    def _schedule(self) -> None:
        if self.live.isChecked():
            self._timer.start()

    def current_options(self):
        """CleaningOptions from the controls; raises InvalidSettingError when one is wrong."""
        from pipelines.cleaning.options import CleaningOptions

        words = self.stopword_options.word_set()
        return CleaningOptions(steps=self.steps.enabled_steps(),
                               stemmer=self.stem_options.stemmer.currentText(),
                               stopwords=words or None,
                               keep_negations=self.stopword_options.keep_negations.isChecked(),
                               **self.regex_options.values())

    def clean_now(self) -> None:
        """Start a cleaning run; if one is running, run again when it ends."""
        if self._worker is not None and self._worker.is_running():
            self._pending = True
            return
        from pipelines.cleaning.pipeline import validate

        try:
            options = self.current_options()
            validate(options)
        except InvalidSettingError as error:
            self._show_error(error)
            return
        self._run += 1
        self._pending = False
        self._worker = StreamWorker(_clean_job(self._run, self.input.toPlainText(), options),
                                    self)
        self._worker.item.connect(self._show_outcome)
        self._worker.finished.connect(self._run_finished)
        self.busy.setVisible(True)
        self.status.setText("Cleaning…")
        self._worker.start()

    def _run_finished(self, error) -> None:
        self.busy.setVisible(False)
        if isinstance(error, GlassboxError):
            log.warning("Cleaning stopped: %s", error)
            self._show_error(error)
        elif error is not None:
            self.status.setText("Cleaning failed; see the message.")
            self.mark_stale("cleaning failed")
            show_error(self, "Cleaning failed", error)
        if self._pending:
            self.clean_now()

    def _show_error(self, error: GlassboxError) -> None:
        # A bad pattern or missing data: say it where the user is looking, without a dialog
        # popping up on every keystroke of live cleaning, and grey out the old results.
        self.status.setText(f"<span style='color:{ERROR_COLOUR}'>"
                            f"{html.escape(str(error))}</span>")
        pattern = "regex" in self.steps.enabled_steps() and "regex pattern" in str(error)
        self.mark_stale("fix the pattern" if pattern else "fix the problem shown above")

    def mark_stale(self, reason: str) -> None:
        """Grey out Output, Meter, Pitfalls, diff and steps: they belong to an earlier run."""
        self._stale = reason
        note = f"not updated: {reason}"
        for box, title in self._result_boxes():
            box.setTitle(f"{title} ({note})")
            box.setEnabled(False)
        for view in (self.diff_view, self.step_table):
            view.setEnabled(False)
        self.stale_note.setText(f"Results below are out of date ({note}).")
        self.stale_note.setVisible(True)
        self.output.setExtraSelections([])  # a new outcome brings its own highlights back
        self._highlight_input()

    def _mark_current(self) -> None:
        self._stale = ""
        for box, title in self._result_boxes():
            box.setTitle(title)
            box.setEnabled(True)
        for view in (self.diff_view, self.step_table):
            view.setEnabled(True)
        self.stale_note.setVisible(False)

    def _result_boxes(self) -> list[tuple[QGroupBox, str]]:
        return [(self.output_box, "Output"), (self.meter_box, "Meter"),
                (self.pitfalls_box, "Pitfalls")]

    def is_stale(self) -> bool:
        return bool(self._stale)

    def _show_outcome(self, outcome) -> None:
        if isinstance(outcome, str):
            if self._outcome is None:
                self.status.setText("Loading WordNet and the tagger (first use, a few seconds)…")
            return
        if outcome.run != self._run or outcome.source != self.input.toPlainText():
            return  # a stale run: the text changed while it was cleaning
        from pipelines.cleaning.pipeline import saving_percent

        self._outcome = outcome
        self._mark_current()
        result = outcome.result
        self.output.setPlainText(result.text)
        self.meter.show_measures(result.before, result.after, saving_percent)
        self._show_pitfalls(result)
        self._show_steps(result)
        self._show_diff(outcome)
        self._show_stem_rows()
        self._highlight_input()
        seconds = sum(report.seconds for report in result.steps)
        self.status.setText(f"Cleaned with {len(result.steps)} step(s) in "
                            f"{1000 * seconds:,.0f} ms")

    # ---------------------------------------------------------------- display

    def _show_pitfalls(self, result) -> None:
        from pipelines.cleaning.report import PITFALL_TEXT

        self.pitfalls.clear()
        for pitfall in result.pitfalls:
            item = QListWidgetItem(f"⚠ {pitfall.message}")
            item.setToolTip(PITFALL_TEXT.get(pitfall.kind, ""))
            self.pitfalls.addItem(item)
        for note in result.notes:
            self.pitfalls.addItem(QListWidgetItem(f"Note: {note}"))
        if not result.pitfalls and not result.notes:
            self.pitfalls.addItem("No pitfalls found for these steps on this text.")

    def _show_steps(self, result) -> None:
        self.step_table.setRowCount(len(result.steps))
        for row, report in enumerate(result.steps):
            examples = ", ".join(f"{b} → {a or '∅'}" for (b, a), _ in
                                 report.examples.most_common(6))
            values = (STEP_INFO[report.name][0], f"{report.changed:,}", f"{report.removed:,}",
                      f"{report.chars_before:,} → {report.chars_after:,}",
                      f"{1000 * report.seconds:.1f}", examples)
            for column, value in enumerate(values):
                self.step_table.setItem(row, column, QTableWidgetItem(value))
        self.step_table.resizeColumnsToContents()

    def _show_diff(self, outcome: Outcome) -> None:
        from pipelines.cleaning.diff import inline_runs

        result, diff = outcome.result, outcome.diff
        colours = {"removed": "background:#ffc4c4;text-decoration:line-through",
                   "added": "background:#c4eec4"}
        pieces = []
        for kind, text in inline_runs(outcome.source, result.text, diff):
            escaped = html.escape(text)
            if kind == "equal":
                pieces.append(escaped)
            else:
                pieces.append(f'<span style="{colours[kind]}">{escaped}</span>')
        note = "<p><i>Only the first 20,000 words are compared.</i></p>" if diff.truncated \
            else ""
        self.diff_view.setHtml(f'{note}<p style="white-space:pre-wrap">{"".join(pieces)}</p>')
        self.output.setExtraSelections(self._output_selections(outcome))

    def _output_selections(self, outcome: Outcome) -> list:
        changed = [(s.start, s.end) for op in outcome.diff.ops if op.kind == "changed"
                   for s in op.new]
        added = [(s.start, s.end) for op in outcome.diff.ops if op.kind == "added"
                 for s in op.new]
        text = outcome.result.text
        return (selections(self.output, text, changed, CHANGED, tooltip="changed")
                + selections(self.output, text, added, ADDED, tooltip="added"))

    def _highlight_input(self) -> None:
        text = self.input.toPlainText()
        found = []
        if "regex" in self.steps.enabled_steps():
            found += selections(self.input, text, self.regex_options.check(text), MATCH,
                                underline=True)
        outcome = self._outcome
        if outcome is not None and outcome.source == text and not self._stale:
            removed = [(s.start, s.end) for op in outcome.diff.ops if op.kind == "removed"
                       for s in op.old]
            changed = [(s.start, s.end) for op in outcome.diff.ops if op.kind == "changed"
                       for s in op.old]
            found = (selections(self.input, text, removed, REMOVED)
                     + selections(self.input, text, changed, CHANGED) + found)
        self.input.setExtraSelections(found)

    def _show_stem_rows(self) -> None:
        rows = self._outcome.stem_rows if self._outcome else []
        if self.only_disagreements.isChecked():
            rows = [row for row in rows if row.disagree]
        self.stem_table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            self._stem_row(index, row)

    def _stem_row(self, index: int, row) -> None:
        cells = [row.word] + [row.stems[name] for name in ("porter", "snowball", "lancaster")]
        for column, value in enumerate(cells):
            item = QTableWidgetItem(value)
            if row.disagree:
                item.setBackground(QBrush(CHANGED))
            name = ("", "porter", "snowball", "lancaster")[column]
            if name in row.non_words:
                item.setForeground(QBrush(QColor(176, 0, 32)))
                item.setToolTip(f"\"{value}\" is not an English word: over-stemming")
            self.stem_table.setItem(index, column, item)

    # ----------------------------------------------------------------- files

    def _open_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open text", "",
                                              "Text (*.txt *.md *.csv *.jsonl);;All files (*)")
        if name:
            self.load_file(Path(name))

    def load_file(self, path: Path) -> None:
        """Load a file into the input (its first megabyte), detecting its encoding."""
        from pipelines.cleaning.encodings import decode_error, open_text

        try:
            stream, encoding = open_text(path)
            with stream:
                text = stream.read(MAX_EDITOR_CHARS + 1)
        except UnicodeDecodeError as error:
            show_error(self, "Cannot open the file", decode_error(path, encoding, error))
            return
        except GlassboxError as error:
            show_error(self, "Cannot open the file", error)
            return
        self.input.setPlainText(text[:MAX_EDITOR_CHARS])
        more = (" (showing the first 1 M characters; clean the whole file in the Batch view)"
                if len(text) > MAX_EDITOR_CHARS else "")
        self.status.setText(f"Loaded {path.name} ({encoding}){more}")

    # -------------------------------------------------------------- settings

    def _restore(self) -> None:
        store = settings()
        order = _json_list(store.value(Key.CLEANING_STEP_ORDER.value), DEFAULT_ORDER)
        enabled = set(_json_list(store.value(Key.CLEANING_STEPS_ENABLED.value),
                                 sorted(DEFAULT_ENABLED)))
        if sorted(order) != sorted(DEFAULT_ORDER):
            order = DEFAULT_ORDER
        self.steps.set_steps(order, enabled)
        self.stem_options.stemmer.setCurrentText(str(store.value(Key.CLEANING_STEMMER.value,
                                                                 "porter")))
        self.regex_options.set_values(str(store.value(Key.CLEANING_PRESET.value,
                                                      "letters-only")),
                                      str(store.value(Key.CLEANING_PATTERN.value, "")),
                                      str(store.value(Key.CLEANING_REPLACEMENT.value, "")))
        self.stopword_options.keep_negations.setChecked(
            store.value(Key.CLEANING_KEEP_NEGATIONS.value, False, type=bool))
        self._restore_stopwords(str(store.value(Key.CLEANING_STOPWORDS.value, "")))
        self.input.setPlainText(str(store.value(Key.CLEANING_INPUT.value, SAMPLE_TEXT)))
        state = store.value(Key.CLEANING_SPLITTER.value)
        if state is not None:
            self.splitter.restoreState(state)
        self.steps.setCurrentRow(0)
        self._show_options(self.steps.currentItem())

    def _restore_stopwords(self, saved: str) -> None:
        if saved:
            self.stopword_options.words.setPlainText(saved)
        else:
            self.stopword_options.load_default()

    def _save(self) -> None:
        from pipelines.cleaning.nltk_resources import english_stopwords

        if not self._persist:
            return
        store = settings()
        store.setValue(Key.CLEANING_STEP_ORDER.value, json.dumps(self.steps.order()))
        store.setValue(Key.CLEANING_STEPS_ENABLED.value,
                       json.dumps(list(self.steps.enabled_steps())))
        store.setValue(Key.CLEANING_STEMMER.value, self.stem_options.stemmer.currentText())
        values = self.regex_options.values()
        store.setValue(Key.CLEANING_PRESET.value, values.get("preset", "custom"))
        store.setValue(Key.CLEANING_PATTERN.value, self.regex_options.pattern.text())
        store.setValue(Key.CLEANING_REPLACEMENT.value, self.regex_options.replacement.text())
        store.setValue(Key.CLEANING_KEEP_NEGATIONS.value,
                       self.stopword_options.keep_negations.isChecked())
        try:
            custom = self.stopword_options.word_set() != english_stopwords()
        except GlassboxError:
            custom = True
        store.setValue(Key.CLEANING_STOPWORDS.value,
                       self.stopword_options.words.toPlainText() if custom else "")

    def _save_session(self) -> None:
        store = settings()
        text = self.input.toPlainText()
        store.setValue(Key.CLEANING_INPUT.value,
                       text if len(text) <= MAX_SAVED_INPUT_CHARS else SAMPLE_TEXT)
        store.setValue(Key.CLEANING_SPLITTER.value, self.splitter.saveState())

    # ------------------------------------------------------------ lifecycle

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        # The restored input is cleaned the first time the tab is seen, not at start-up.
        super().showEvent(event)
        if self._outcome is None and self._worker is None:
            self._schedule()

    def prepare_screenshot(self) -> None:
        """Show the sample cleaned with a telling set of steps (waits at most 60 s)."""
        self._persist = False  # a screenshot must not change the user's settings
        self.steps.set_steps(DEFAULT_ORDER, DEFAULT_ENABLED | {"regex"})
        self.regex_options.set_values("remove-numbers", "", "")
        self.input.setPlainText(SAMPLE_TEXT)
        self.steps.setCurrentRow(DEFAULT_ORDER.index("stopwords"))
        self.views.setCurrentIndex(0)
        self.wait_until_clean(60_000)

    def wait_until_clean(self, timeout_ms: int) -> bool:
        """Clean now and process events until the result is shown (bounded); True if shown."""
        self._timer.stop()
        self.clean_now()
        loop = QEventLoop()
        deadline = QTimer(singleShot=True, interval=timeout_ms)
        deadline.timeout.connect(loop.quit)
        poll = QTimer(interval=50)
        poll.timeout.connect(lambda: None if self._busy() else loop.quit())
        deadline.start()
        poll.start()
        loop.exec()
        poll.stop()
        return not self._busy()

    def _busy(self) -> bool:
        running = self._worker is not None and self._worker.is_running()
        return running or self._pending or self._timer.isActive()

    def shutdown(self) -> None:
        if self._persist:
            self._save_session()
        self._timer.stop()
        if self._worker is not None:
            self._worker.cancel()
            self._worker.wait(5000)
        self.batch.shutdown()


def _group(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.addWidget(widget)
    return box


def _legend() -> QLabel:
    swatches = [(REMOVED, "removed"), (CHANGED, "changed"), (ADDED, "added"),
                (MATCH, "regex match")]
    label = QLabel("  ".join(f'<span style="background:{colour.name()}">&nbsp;{name}&nbsp;'
                             "</span>" for colour, name in swatches))
    label.setToolTip("How the input and output panes mark what the steps did, word by word.")
    return label


def _info_page(name: str) -> QWidget:
    label = QLabel(STEP_INFO[name][1])
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignTop)
    return label


def _json_list(value, default: list[str]) -> list[str]:
    try:
        loaded = json.loads(value) if value else default
    except (TypeError, json.JSONDecodeError):
        return list(default)
    return [name for name in loaded if name in STEP_INFO] if isinstance(loaded, list) \
        else list(default)
