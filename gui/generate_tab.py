"""The Generate tab: a prompt, every decoding strategy under sliders, and text token by token."""

import json
import logging
import threading
from dataclasses import asdict

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QPlainTextEdit, QPushButton, QSpinBox, QSplitter,
                               QVBoxLayout, QWidget)

from gui.distribution_chart import DistributionChart
from gui.errors import show_error, user_message
from gui.param_slider import ParamSlider
from gui.prompt_edit import PromptEdit
from gui.settings import Key, settings
from gui.token_view import TokenView, probability_colour
from gui.workers import StreamWorker, wait_for
from inference.generation import DEFAULT_MODEL, GenerationOptions, load_generator
from inference.manifest import all_models

log = logging.getLogger(__name__)

SAMPLE_PROMPT = "To date, the cleverest thinker of all time was"
SCREENSHOT_TIMEOUT_MS = 120_000
CHART_REFRESH_MS = 150

# name: (label, minimum, maximum, default, integer, strategies it applies to, tooltip)
PARAMETERS = {
    "temperature": ("Temperature", 0.0, 2.0, 0.8, False, {"sample"},
                    "Divides the logits before softmax. Below 1 the likely tokens grow more "
                    "likely (safer, duller); above 1 the distribution flattens (more "
                    "surprising, more errors). 0 is exactly greedy decoding."),
    "top_k": ("Top-k", 0, 200, 50, True, {"sample"},
              "Only the k most likely tokens may be drawn. 0 switches the filter off; 1 is "
              "greedy. A fixed k keeps too many tokens when the model is sure and too few "
              "when it is not: compare with top-p."),
    "top_p": ("Top-p (nucleus)", 0.0, 1.0, 0.95, False, {"sample"},
              "Keep the smallest set of likely tokens whose probabilities add up to p. The set "
              "shrinks when the model is confident and grows when it is unsure. 1 is off; 0 "
              "keeps only the best token (greedy)."),
    "min_p": ("Min-p", 0.0, 1.0, 0.0, False, {"sample"},
              "Drop every token less likely than min-p times the best token's probability: a "
              "cut-off that scales with the model's confidence. 0 is off."),
    "typical_p": ("Typical-p", 0.0, 1.0, 1.0, False, {"sample"},
                  "Keep the tokens whose surprise is closest to the average surprise "
                  "(entropy), until they hold p of the probability. Avoids both the dullest "
                  "and the wildest tokens. 1 is off."),
    "repetition_penalty": ("Repetition penalty", 1.0, 3.0, 1.0, False,
                           {"greedy", "sample", "beam"},
                           "Divides the odds of every token already in the text by this "
                           "factor, so loops become less likely. 1 is off. Try 1.3 with greedy "
                           "decoding on a prompt that makes it repeat itself."),
    "num_beams": ("Beams", 1, 16, 4, True, {"beam"},
                  "How many partial texts beam search keeps at each step. More beams find "
                  "more probable texts (often blander ones) and cost more time."),
    "length_penalty": ("Length penalty", -2.0, 3.0, 1.0, False, {"beam"},
                       "Beam scores are the total log-probability divided by length to this "
                       "power. Above 0 longer texts are favoured; below 0 shorter ones."),
    "max_new_tokens": ("Max new tokens", 1, 512, 64, True, {"greedy", "sample", "beam"},
                       "The most tokens to generate. Generation also ends at the model's "
                       "end-of-text token or at a stop sequence."),
}

STRATEGY_HELP = {
    "greedy": "Greedy: always take the single most likely token. Deterministic, and prone to "
              "loops, because nothing pushes it off a path it likes.",
    "sample": "Sampling: draw each token at random from the filtered distribution. The seed "
              "makes a run repeatable.",
    "beam": "Beam search: follow several candidate texts at once and keep the most probable "
            "overall. The text appears when the search ends.",
}


class GenerateTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._worker: StreamWorker | None = None
        self._steps: list = []
        self._first_top: list = []
        self._clock = QElapsedTimer()
        # Redrawing the chart for every token would slow generation down several times
        # (the GUI thread competes with the model for the interpreter); a few times a second
        # is enough for the eye.
        self._chart_pending: int | None = None
        self._chart_timer = QTimer(self, singleShot=True, interval=CHART_REFRESH_MS)
        self._chart_timer.timeout.connect(self._draw_pending_chart)
        self._build()
        self._restore()
        # Load the model after the window has appeared, so start-up stays fast.
        QTimer.singleShot(200, self._preload)

    # --- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self._build_controls())
        splitter.addWidget(self._build_output())
        splitter.addWidget(self._build_chart())
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        splitter.setSizes([360, 520, 380])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.start)
        QShortcut(QKeySequence("Escape"), self, activated=self.stop)

    def _build_controls(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)

        self.model_box = QComboBox()
        self.model_box.setToolTip("Which language model to run. Models you place under "
                                  "models_onnx/ in the standard ONNX layout appear here too.")
        for model in all_models():
            if model.kind == "text-generation":
                self.model_box.addItem(model.name)
        layout.addWidget(QLabel("Model"))
        layout.addWidget(self.model_box)

        self.prompt = PromptEdit(lambda error: self.stats.setText(user_message(error)))
        self.prompt.setPlaceholderText("Type a prompt (or drop a text file here), then press "
                                       "Ctrl+Enter.")
        self.prompt.setToolTip("The text the model continues. Ctrl+Enter generates; a text "
                               "file dropped here becomes the prompt.")
        layout.addWidget(QLabel("Prompt"))
        layout.addWidget(self.prompt, 1)
        self.chat = QCheckBox("Chat template")
        self.chat.setToolTip("Wrap the prompt in the model's chat template, so an instruction-"
                             "tuned model answers it as a question instead of continuing it.")
        layout.addWidget(self.chat)

        layout.addWidget(self._build_parameters())
        layout.addLayout(self._build_buttons())
        return panel

    def _build_parameters(self) -> QGroupBox:
        box = QGroupBox("Decoding")
        form = QFormLayout(box)
        self.strategy = QComboBox()
        self.strategy.addItems(["greedy", "sample", "beam"])
        self.strategy.setToolTip("\n\n".join(STRATEGY_HELP.values()))
        self.strategy.currentTextChanged.connect(self._on_strategy)
        form.addRow("Strategy", self.strategy)
        self.strategy_help = QLabel()
        self.strategy_help.setWordWrap(True)
        self.strategy_help.setStyleSheet("color: #555;")
        form.addRow(self.strategy_help)

        self.sliders: dict[str, ParamSlider] = {}
        for name, (label, low, high, default, integer, _, tip) in PARAMETERS.items():
            special = {0.0: "greedy"} if name == "temperature" else None
            slider = ParamSlider(label, low, high, default=default, integer=integer,
                                 tooltip=tip, special=special)
            self.sliders[name] = slider
            form.addRow(slider)

        seed_row = QHBoxLayout()
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(42)
        self.fixed_seed = QCheckBox("fixed seed")
        self.fixed_seed.setChecked(True)
        seed_tip = ("The seed of the random draws. A fixed seed gives the same text for the "
                    "same settings every time; untick it for a new draw on each run.")
        self.seed.setToolTip(seed_tip)
        self.fixed_seed.setToolTip(seed_tip)
        seed_row.addWidget(self.seed)
        seed_row.addWidget(self.fixed_seed)
        form.addRow("Seed", seed_row)
        return box

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.generate_button = QPushButton("Generate")
        self.generate_button.setToolTip("Generate a continuation (Ctrl+Enter).")
        self.generate_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop generating (Esc); the text so far stays.")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        row.addWidget(self.generate_button)
        row.addWidget(self.stop_button)
        return row

    def _build_output(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.output = TokenView()
        self.output.token_clicked.connect(self._show_step)
        layout.addWidget(self.output, 1)
        layout.addWidget(_shading_legend())
        self.stats = QLabel("")
        self.stats.setWordWrap(True)
        layout.addWidget(self.stats)
        self.beams = QPlainTextEdit()
        self.beams.setReadOnly(True)
        self.beams.setMaximumHeight(140)
        self.beams.setToolTip("The best texts beam search found, with their scores "
                              "(log-probability divided by length ** length penalty).")
        self.beams.setVisible(False)
        layout.addWidget(self.beams)
        return panel

    def _build_chart(self) -> QWidget:
        self.chart = DistributionChart()
        return self.chart

    # --- settings ---------------------------------------------------------------------------
    def options(self) -> GenerationOptions:
        values = {name: slider.value() for name, slider in self.sliders.items()}
        seed = self.seed.value() if self.fixed_seed.isChecked() else None
        return GenerationOptions(strategy=self.strategy.currentText(), seed=seed, **values)

    def _restore(self) -> None:
        store = settings()
        self.prompt.setPlainText(store.value(Key.GENERATE_PROMPT.value, SAMPLE_PROMPT))
        model = store.value(Key.GENERATE_MODEL.value, DEFAULT_MODEL)
        if self.model_box.findText(model) >= 0:
            self.model_box.setCurrentText(model)
        saved = store.value(Key.GENERATE_OPTIONS.value)
        if saved:
            self._apply_saved(json.loads(saved))
        self._on_strategy(self.strategy.currentText())

    def _apply_saved(self, saved: dict) -> None:
        self.strategy.setCurrentText(saved.get("strategy", "greedy"))
        for name, slider in self.sliders.items():
            if name in saved:
                slider.set_value(saved[name])
        self.chat.setChecked(bool(saved.get("chat", False)))
        if saved.get("seed") is not None:
            self.seed.setValue(int(saved["seed"]))
        self.fixed_seed.setChecked(saved.get("seed") is not None)

    def _save(self, options: GenerationOptions) -> None:
        store = settings()
        store.setValue(Key.GENERATE_PROMPT.value, self.prompt.toPlainText())
        store.setValue(Key.GENERATE_MODEL.value, self.model_box.currentText())
        saved = {**asdict(options), "chat": self.chat.isChecked()}
        store.setValue(Key.GENERATE_OPTIONS.value, json.dumps(saved))

    def _on_strategy(self, strategy: str) -> None:
        self.strategy_help.setText(STRATEGY_HELP[strategy])
        for name, slider in self.sliders.items():
            slider.setEnabled(strategy in PARAMETERS[name][5])
        sampling = strategy == "sample"
        self.seed.setEnabled(sampling)
        self.fixed_seed.setEnabled(sampling)

    # --- running ----------------------------------------------------------------------------
    def _preload(self) -> None:
        name = self.model_box.currentText()
        if not name or self._worker is not None:
            return

        def job(_cancel: threading.Event):
            load_generator(name)
            yield "loaded"

        self._status(f"Loading language model {name}…")
        self._loader = StreamWorker(job, self)
        self._loader.finished.connect(self._on_preloaded)
        self._loader.start()

    def _on_preloaded(self, error) -> None:
        if error is None:
            self._status(f"Language model {self.model_box.currentText()} ready", 4000)
        else:
            self._status(f"Language model not loaded: {user_message(error)}")

    def start(self) -> None:
        if self._worker is not None:
            return
        try:
            options = self.options()
        except Exception as error:  # noqa: BLE001 - a bad setting is shown, not raised
            show_error(self, "Invalid setting", error)
            return
        self._save(options)
        prompt, name, chat = self.prompt.toPlainText(), self.model_box.currentText(), \
            self.chat.isChecked()

        def job(cancel: threading.Event):
            generator = load_generator(name)
            yield from generator.stream(prompt, options, chat=chat, cancel=cancel)

        self._steps.clear()
        self.output.clear_tokens("" if chat else prompt)
        self.beams.setVisible(options.strategy == "beam")
        self.beams.clear()
        self.stats.setText("Beam search runs; the text appears when it ends…"
                           if options.strategy == "beam" else "Generating…")
        self._set_running(True)
        self._clock.start()
        self._worker = StreamWorker(job, self)
        self._worker.item.connect(self._on_event)
        self._worker.finished.connect(self._on_finished)
        self._worker.start()

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def _on_event(self, event) -> None:
        if event.kind == "start":
            self._first_top = event.next_token_top
            self.chart.show_distribution(event.next_token_top,
                                         title="First next-token distribution")
        elif event.kind == "token":
            token = event.token
            self._steps.append(token)
            self.output.add_token(event.text, token.prob, token.alternatives)
            if token.alternatives:
                self._chart_pending = len(self._steps) - 1
                if not self._chart_timer.isActive():
                    self._chart_timer.start()
        elif event.kind == "text":
            self.output.add_text(event.text)
        elif event.kind == "done":
            self._show_result(event.result)

    def _show_result(self, result) -> None:
        self.stats.setText(
            f"{len(result.tokens)} tokens, {result.tokens_per_second:.1f} tokens/s, prompt "
            f"{result.prompt_tokens} tokens read in {result.prefill_s * 1000:.0f} ms; "
            f"ended by {result.stop_reason}." + "".join(f" {note}" for note in result.notes))
        if result.beams:
            self.beams.setPlainText("\n".join(
                f"{beam['score']:+.3f}  {'ended' if beam['finished'] else 'cut  '}  "
                f"{beam['text']!r}" for beam in result.beams))
        self._chart_timer.stop()
        self._chart_pending = None
        if self._first_top:
            chosen = result.tokens[0].text if result.tokens else None
            self.chart.show_distribution(self._first_top, chosen=chosen,
                                         title="First next-token distribution")

    def _draw_pending_chart(self) -> None:
        if self._chart_pending is not None:
            self._show_step(self._chart_pending)
            self._chart_pending = None

    def _show_step(self, index: int) -> None:
        if index < len(self._steps) and self._steps[index].alternatives:
            token = self._steps[index]
            self.chart.show_distribution(token.alternatives, chosen=token.text,
                                         title=f"Step {index + 1}: {100 * token.prob:.1f}% "
                                               "for the pick")

    def _on_finished(self, error) -> None:
        self._worker = None
        self._set_running(False)
        if error is not None:
            self.stats.setText(user_message(error))
            show_error(self, "Generation failed", error)

    def _set_running(self, running: bool) -> None:
        self.generate_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self._status("Generating…" if running else "Ready", 0 if running else 3000)

    def _status(self, message: str, timeout_ms: int = 0) -> None:
        window = self.window()
        if hasattr(window, "show_status"):
            window.show_status(message, timeout_ms)

    # --- hooks ------------------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self._worker is not None

    def prepare_screenshot(self) -> None:
        """Generate from the sample prompt so the picture shows shaded tokens and the chart."""
        self.prompt.setPlainText(SAMPLE_PROMPT)
        self.strategy.setCurrentText("sample")
        self.sliders["max_new_tokens"].set_value(60)
        self.start()
        if self._worker is not None:
            wait_for(self._worker, SCREENSHOT_TIMEOUT_MS)

    def shutdown(self) -> None:
        for worker in (self._worker, getattr(self, "_loader", None)):
            if worker is not None:
                worker.cancel()
                worker.wait(5000)



def _shading_legend() -> QLabel:
    swatches = " ".join(
        f"<span style='background:{probability_colour(p).name()}'>&nbsp;{int(p * 100)}%&nbsp;"
        "</span>" for p in (0.02, 0.1, 0.25, 0.5, 0.75, 0.98))
    legend = QLabel(f"Token probability: {swatches}")
    legend.setToolTip("Each generated token is shaded by the probability the model gave it "
                      "when it was chosen.")
    return legend
