"""Answers from the library: retrieved passages, extractive highlights, a cited generated answer."""

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from inference.errors import InvalidSettingError, ModelUnavailableError
from pipelines.documents.chunking import split_sentences
from pipelines.library.search import Hit, SearchOptions

log = logging.getLogger(__name__)

NOTHING_FOUND = ("Nothing relevant was found in the library for this question, so no answer "
                 "was generated. Try other words, or add documents that cover it.")
_CITATION = re.compile(r"\[(\d+)\]")
ATTRIBUTION_MIN = 0.5  # cosine between an answer sentence and the passage sentence it cites


@dataclass(frozen=True)
class AskOptions:
    """Retrieval, relevance cut-off, highlights and generation budget for one question."""

    k: int = 5
    min_relevance: float = 0.30  # cosine; below it a passage is "not relevant"
    highlights: int = 3
    min_highlight: float = 0.35
    mmr: bool = False
    generate: bool = True
    max_new_tokens: int = 120
    context_budget: int = 2048  # prompt + answer tokens; capped by the model's context
    # The model reads the sentences of the passages closest to the question, not whole
    # passages: SmolLM2-135M answers far better (and faster) from a few short facts, and
    # loses the thread (or just repeats the question) with five 250-token passages.
    facts: int = 4
    full_passages: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_relevance < 1.0:
            raise InvalidSettingError(f"Relevance cut-off {self.min_relevance} is outside "
                                      "0-1; 0.30 suits this embedder.")
        if not 256 <= self.context_budget <= 32768:
            raise InvalidSettingError(f"Context budget {self.context_budget} tokens is outside "
                                      "256-32768.")


@dataclass
class Citation:
    """A numbered passage given to the model."""

    n: int
    hit: Hit

    def as_json(self) -> dict:
        return {"n": self.n, "source": self.hit.source, "page": self.hit.page,
                "text": self.hit.text, "score": round(self.hit.score, 6)}


@dataclass
class Highlight:
    """A sentence of a passage that best answers the question; offsets are in its document."""

    sentence: str
    n: int
    source: str
    page: int
    document_id: int
    start: int
    end: int
    score: float

    def as_json(self) -> dict:
        return {"sentence": self.sentence, "n": self.n, "source": self.source,
                "page": self.page, "score": round(self.score, 4)}


@dataclass
class Answer:
    """Everything `ask` returns."""

    question: str
    text: str = ""
    citations: list[Citation] = field(default_factory=list)
    highlights: list[Highlight] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    relevant: bool = True
    generated: bool = False
    prompt_tokens: int = 0
    context_tokens: int = 0
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"question": self.question, "answer": self.text, "relevant": self.relevant,
                "generated": self.generated, "citations": [c.as_json() for c in self.citations],
                "cited": self.cited, "highlights": [h.as_json() for h in self.highlights],
                "prompt_tokens": self.prompt_tokens, "context_tokens": self.context_tokens,
                "notes": self.notes}


@dataclass
class AskEvent:
    """"retrieved" (passages, highlights and the prompt's size), "token", then "done"."""

    kind: str
    answer: Answer
    text: str = ""


def ask(library, question: str, options: AskOptions | None = None, *,
        cancel: threading.Event | None = None, generator=None) -> Iterator[AskEvent]:
    """Retrieve, highlight and (if anything is relevant) stream a cited answer."""
    options = options or AskOptions()
    hits = library.search(question, SearchOptions(k=options.k, mmr=options.mmr))
    relevant = [hit for hit in hits if hit.vector_score >= options.min_relevance]
    answer = Answer(question)
    if not relevant:
        answer.relevant, answer.text = False, NOTHING_FOUND
        yield AskEvent("retrieved", answer)
        yield AskEvent("done", answer)
        return

    answer.citations = [Citation(n, hit) for n, hit in enumerate(relevant, start=1)]
    scored = score_sentences(library.embedder, question, answer.citations)
    answer.highlights = find_highlights(scored, limit=options.highlights,
                                        minimum=options.min_highlight)
    if not options.generate:
        answer.text = extractive_answer(answer)
        yield AskEvent("retrieved", answer)
        yield AskEvent("done", answer)
        return
    facts = [(c.n, " ".join(c.hit.text.split())) for c in answer.citations] \
        if options.full_passages else choose_facts(scored, options.facts, options.min_highlight)
    yield from _generate(answer, facts, scored, library.embedder, options, cancel, generator)


@dataclass
class ScoredSentence:
    citation: Citation
    start: int  # offsets in the passage text
    end: int
    sentence: str
    score: float


def score_sentences(embedder, question: str, citations: list[Citation]) -> list[ScoredSentence]:
    """Every sentence of the passages with its cosine similarity to the question."""
    candidates = []
    for citation in citations:
        text = citation.hit.text
        for start, end in split_sentences(text):
            candidates.append(ScoredSentence(citation, start, end,
                                             " ".join(text[start:end].split()), 0.0))
    if not candidates:
        return []
    vectors = embedder.embed([c.sentence for c in candidates]).vectors
    scores = vectors @ embedder.embed_one(question)
    for candidate, score in zip(candidates, scores):
        candidate.score = float(score)
    return candidates


def find_highlights(scored: list[ScoredSentence], *, limit: int,
                    minimum: float) -> list[Highlight]:
    """The sentences closest in meaning to the question, best first (at least one)."""
    if not scored:
        return []
    ranked = sorted(scored, key=lambda s: -s.score)
    chosen = [s for s in ranked[:limit] if s.score >= minimum] or ranked[:1]
    return [Highlight(s.sentence, s.citation.n, s.citation.hit.source, s.citation.hit.page,
                      s.citation.hit.document_id, s.citation.hit.start + s.start,
                      s.citation.hit.start + s.end, s.score) for s in chosen]


def choose_facts(scored: list[ScoredSentence], limit: int, minimum: float
                 ) -> list[tuple[int, str]]:
    """(citation number, sentence) of the best sentences, best first, at least one."""
    ranked = sorted(scored, key=lambda s: -s.score)
    chosen = [s for s in ranked[:limit] if s.score >= minimum] or ranked[:1]
    return [(s.citation.n, s.sentence) for s in chosen]


def extractive_answer(answer: Answer) -> str:
    """The highlighted sentences with their citation numbers: an answer with no generator."""
    return " ".join(f"{h.sentence} [{h.n}]" for h in answer.highlights)


def build_prompt(question: str, facts: list[tuple[int, str]]) -> str:
    """The numbered facts, then the question (plain: instructions confuse a 135M model)."""
    lines = "\n".join(f"[{n}] {sentence}" for n, sentence in facts)
    return f"Facts:\n{lines}\n\nQuestion: {question}"


def fit_to_budget(generator, question: str, facts: list[tuple[int, str]], budget: int
                  ) -> tuple[list[tuple[int, str]], int, list[str]]:
    """The facts (best first) whose prompt fits the budget, its size, and what was left out."""
    kept, notes, tokens = list(facts), [], 0
    while kept:
        tokens = _prompt_tokens(generator, build_prompt(question, kept))
        if tokens <= budget:
            break
        n, _ = kept.pop()
        notes.append(f"a sentence of passage [{n}] was left out of the prompt: the context "
                     f"budget ({budget} tokens) was full")
    return kept, tokens if kept else 0, notes


def _prompt_tokens(generator, prompt: str) -> int:
    """Tokens the model reads for prompt, chat template included."""
    try:
        return len(generator.prompt_ids(prompt, chat=True))
    except InvalidSettingError:  # longer than the whole context: certainly over budget
        return generator.context_length


def _generate(answer: Answer, facts: list[tuple[int, str]], scored: list[ScoredSentence],
              embedder, options: AskOptions, cancel, generator) -> Iterator[AskEvent]:
    from inference.generation import GenerationOptions

    try:
        generator = generator or _load_generator()
    except ModelUnavailableError as error:
        answer.text = extractive_answer(answer)
        answer.notes.append(f"The language model is not available ({error}); the answer is "
                            "the highlighted sentences.")
        yield AskEvent("retrieved", answer)
        yield AskEvent("done", answer)
        return

    context = min(options.context_budget, generator.context_length)
    prompt_budget = context - options.max_new_tokens - 32  # room for the chat template
    given, tokens, notes = fit_to_budget(generator, answer.question, facts, prompt_budget)
    answer.notes += notes
    answer.prompt_tokens, answer.context_tokens = tokens, context
    yield AskEvent("retrieved", answer)

    settings = GenerationOptions(strategy="greedy", max_new_tokens=options.max_new_tokens,
                                 repetition_penalty=1.1)
    prompt = build_prompt(answer.question, given)
    parts = []
    for event in generator.stream(prompt, settings, chat=True, cancel=cancel):
        if event.kind == "token" and event.text:
            parts.append(event.text)
            yield AskEvent("token", answer, event.text)
        elif event.kind == "done":
            answer.prompt_tokens = event.result.prompt_tokens or answer.prompt_tokens
            parts = [event.result.text]
    _finish(answer, "".join(parts).strip(), prompt, embedder, scored)
    yield AskEvent("done", answer)


def _finish(answer: Answer, text: str, prompt: str, embedder,
            scored: list[ScoredSentence]) -> None:
    answer.generated = True
    count = len(answer.citations)
    numbers = {int(n) for n in _CITATION.findall(text)}
    invalid = sorted(n for n in numbers if not 1 <= n <= count)
    if invalid:
        answer.notes.append(f"the model cited passage(s) {invalid} that do not exist")
    text, added = attribute(text, embedder, scored)
    if added:
        answer.notes.append(f"citation(s) {sorted(set(added))} were added by matching answer "
                            "sentences to the most similar passage sentence "
                            f"(cosine >= {ATTRIBUTION_MIN})")
    answer.text = text
    answer.cited = sorted({int(n) for n in _CITATION.findall(text) if 1 <= int(n) <= count})
    if not answer.cited:
        answer.notes.append("no sentence of the answer matches a passage closely: it may be "
                            "invented; trust the highlighted sentences instead")

    # A cheap honesty check: numbers the model wrote that appear in no passage it was given.
    invented = sorted(set(re.findall(r"\d+", _CITATION.sub("", text)))
                      - set(re.findall(r"\d+", prompt)) - spelled_numbers(prompt))
    if invented:
        answer.notes.append(f"the answer contains {', '.join(invented)}, which no passage "
                            "holds: it may be invented")


_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SPELLED = re.compile(r"\b(?:(%s)[\s-]+(%s)|(%s)|(%s))\b" % (
    "|".join(_TENS[2:]), "|".join(_UNITS[1:10]), "|".join(_TENS[2:]), "|".join(_UNITS)),
    re.IGNORECASE)


def spelled_numbers(text: str) -> set[str]:
    """Numbers below 100 written as words ("thirty five"), as digit strings."""
    found = set()
    for tens_unit, unit_part, tens, unit in _SPELLED.findall(text):
        if tens_unit:
            found.add(str(10 * _TENS.index(tens_unit.lower()) + _UNITS.index(unit_part.lower())))
        elif tens:
            found.add(str(10 * _TENS.index(tens.lower())))
        else:
            found.add(str(_UNITS.index(unit.lower())))
    return found


def attribute(text: str, embedder, scored: list[ScoredSentence]) -> tuple[str, list[int]]:
    """Append [n] to each answer sentence without one that closely matches a passage sentence.

    Returns the new text and the citation numbers added.
    """
    spans = [span for span in split_sentences(text) if not _CITATION.search(text[slice(*span)])]
    if not spans or not scored:
        return text, []
    answer_vectors = embedder.embed([text[start:end] for start, end in spans]).vectors
    source_vectors = embedder.embed([s.sentence for s in scored]).vectors
    similarity = answer_vectors @ source_vectors.T

    added, pieces, cursor = [], [], 0
    for row, (start, end) in enumerate(spans):
        best = int(np.argmax(similarity[row]))
        pieces.append(text[cursor:end])
        cursor = end
        if similarity[row, best] >= ATTRIBUTION_MIN:
            n = scored[best].citation.n
            pieces.append(f" [{n}]")
            added.append(n)
    pieces.append(text[cursor:])
    return "".join(pieces), added


def _load_generator():
    from inference.generation import load_generator

    return load_generator()
