"""Runs the chosen steps in order over text or a stream of chunks, measuring what each did."""

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, TextIO

from inference.errors import CancelledError
from pipelines.cleaning.contractions_step import expand_contractions
from pipelines.cleaning.lemmatization import lemmatize_text
from pipelines.cleaning.normalize import lowercase, tidy, unicode_normalize
from pipelines.cleaning.options import CleaningOptions
from pipelines.cleaning.regex_step import apply_regex, compile_pattern
from pipelines.cleaning.regex_step import resolve as resolve_regex
from pipelines.cleaning.report import PITFALL_TEXT, Pitfall, PitfallLog, StepReport
from pipelines.cleaning.stemming import stem_text
from pipelines.cleaning.stopwords_step import remove_stopwords
from pipelines.cleaning.tokens import try_count_tokens
from pipelines.cleaning.words import count_words

log = logging.getLogger(__name__)

STEP_FUNCTIONS: dict[str, Callable] = {
    "unicode": unicode_normalize,
    "lower": lowercase,
    "contractions": expand_contractions,
    "regex": apply_regex,
    "stopwords": remove_stopwords,
    "lemmatize": lemmatize_text,
    "stem": stem_text,
    "tidy": tidy,
}
CHUNK_CHARS = 1 << 20


@dataclass
class StepContext:
    """What a step function gets besides the text: the options and where to record changes."""

    options: CleaningOptions
    report: StepReport
    pitfalls: PitfallLog


@dataclass
class TextMeasure:
    """Size of a text three ways; tokens is None when the model's tokenizer is unavailable."""

    chars: int = 0
    words: int = 0
    tokens: int | None = 0

    def add(self, text: str, tokens: int | None) -> None:
        self.chars += len(text)
        self.words += count_words(text)
        self.tokens = None if tokens is None or self.tokens is None else self.tokens + tokens

    def to_json(self) -> dict:
        return {"chars": self.chars, "words": self.words, "tokens": self.tokens}


def saving_percent(before: int | None, after: int | None) -> float | None:
    """How much smaller after is than before, in percent (None if unknown or before is 0)."""
    if not before or after is None:
        return None
    return 100.0 * (before - after) / before


@dataclass
class CleanResult:
    """The cleaned text with its measures, per-step reports and pitfalls."""

    text: str
    before: TextMeasure
    after: TextMeasure
    steps: list[StepReport]
    pitfalls: list[Pitfall]
    notes: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [pitfall.message for pitfall in self.pitfalls] + self.notes

    def to_json(self, *, include_text: bool = True) -> dict:
        data = {"text": self.text} if include_text else {}
        data.update({
            "tokens_before": self.before.tokens,
            "tokens_after": self.after.tokens,
            "saving_percent": {
                name: _round(saving_percent(getattr(self.before, name), getattr(self.after, name)))
                for name in ("chars", "words", "tokens")},
            "before": self.before.to_json(),
            "after": self.after.to_json(),
            "steps": [report.to_json() for report in self.steps],
            "pitfalls": [pitfall.to_json() for pitfall in self.pitfalls],
            "warnings": self.warnings,
        })
        return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def validate(options: CleaningOptions) -> None:
    """Fail early, before any text is read, on settings that would fail every text."""
    if "regex" in options.steps:
        pattern, _ = resolve_regex(options)
        compile_pattern(pattern)


def warm_up(options: CleaningOptions) -> None:
    """Load the data the chosen steps need (WordNet takes seconds), so step times are honest."""
    from pipelines.cleaning import nltk_resources
    from pipelines.cleaning.tagging import fast_tagger

    if "stopwords" in options.steps or "stem" in options.steps:
        nltk_resources.english_stopwords()
    if "lemmatize" in options.steps or "stem" in options.steps:
        nltk_resources.wordnet()
    if "lemmatize" in options.steps:
        nltk_resources.sentence_splitter()
        fast_tagger()


def run_steps(text: str, options: CleaningOptions, reports: dict[str, StepReport],
              pitfalls: PitfallLog) -> str:
    """Apply each step in order, adding to reports[name] and pitfalls."""
    for name in options.steps:
        report = reports.setdefault(name, StepReport(name))
        started = time.perf_counter()
        before_chars = len(text)
        text = STEP_FUNCTIONS[name](text, StepContext(options, report, pitfalls))
        report.chars_before += before_chars
        report.chars_after += len(text)
        report.seconds += time.perf_counter() - started
    return text


class CleanTotals:
    """Running totals over the chunks of a streamed text."""

    def __init__(self, options: CleaningOptions):
        self.options = options
        self.before = TextMeasure()
        self.after = TextMeasure()
        self.reports: dict[str, StepReport] = {}
        self.pitfalls = PitfallLog()
        self.notes: list[str] = []

    def clean(self, chunk: str) -> str:
        cleaned = run_steps(chunk, self.options, self.reports, self.pitfalls)
        self.before.add(chunk, self._tokens(chunk))
        self.after.add(cleaned, self._tokens(cleaned))
        return cleaned

    def _tokens(self, text: str) -> int | None:
        if not self.options.count_tokens:
            return None
        count, problem = try_count_tokens(text)
        if problem and not self.notes:
            self.notes.append(PITFALL_TEXT["tokens_missing"] + problem)
        return count

    def result(self, text: str = "") -> CleanResult:
        steps = [self.reports.get(name, StepReport(name)) for name in self.options.steps]
        return CleanResult(text, self.before, self.after, steps, self.pitfalls.items(),
                           list(self.notes))


def clean_text(text: str, options: CleaningOptions | None = None) -> CleanResult:
    """Clean one text held in memory and measure the result."""
    totals = CleanTotals(options or CleaningOptions())
    cleaned = totals.clean(text)
    return totals.result(cleaned)


@dataclass
class StreamProgress:
    """One cleaned chunk of a stream, and how far the stream has got."""

    text: str
    chars_done: int
    totals: CleanTotals


def clean_stream(chunks: Iterable[str], options: CleaningOptions, *,
                 cancel: threading.Event | None = None) -> Iterator[StreamProgress]:
    """Clean chunk by chunk; memory stays bounded by the chunk size, whatever the total."""
    totals = CleanTotals(options)
    done = 0
    for chunk in chunks:
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"Cleaning stopped after {done:,} characters.")
        done += len(chunk)
        yield StreamProgress(totals.clean(chunk), done, totals)


def read_chunks(stream: TextIO, *, chunk_chars: int = CHUNK_CHARS) -> Iterator[str]:
    """Read text in pieces of about chunk_chars, cut at a paragraph, line or space boundary."""
    carry = ""
    while True:
        block = stream.read(chunk_chars)
        if not block:
            break
        text = carry + block
        if len(block) < chunk_chars:
            # A short read is the end of the stream: nothing left to keep words whole for.
            yield text
            return
        cut = _boundary(text)
        yield text[:cut]
        carry = text[cut:]
    if carry:
        yield carry


def _boundary(text: str) -> int:
    # Prefer a paragraph break, then a line break, then a space, in the last half of the block.
    floor = len(text) // 2
    for mark in ("\n\n", "\n", " "):
        position = text.rfind(mark, floor)
        if position != -1:
            return position + len(mark)
    return len(text)
