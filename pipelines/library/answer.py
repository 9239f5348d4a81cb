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
_INSTRUCTIONS = ("Answer the question using only the numbered passages below. After each "
                 "fact, cite the passage it comes from like [1]. If the passages do not "
                 "answer the question, say that they do not.")


@dataclass(frozen=True)
class AskOptions:
    """Retrieval, relevance cut-off, highlights and generation budget for one question."""

    k: int = 5
    min_relevance: float = 0.30  # cosine; below it a passage is "not relevant"
    highlights: int = 3
    min_highlight: float = 0.35
    mmr: bool = False
    generate: bool = True
    max_new_tokens: int = 200
    context_budget: int = 2048  # prompt + answer tokens; capped by the model's context

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
    answer.highlights = find_highlights(library.embedder, question, answer.citations,
                                        limit=options.highlights, minimum=options.min_highlight)
    if not options.generate:
        answer.text = extractive_answer(answer)
        yield AskEvent("retrieved", answer)
        yield AskEvent("done", answer)
        return
    yield from _generate(answer, options, cancel, generator)


def find_highlights(embedder, question: str, citations: list[Citation], *, limit: int,
                    minimum: float) -> list[Highlight]:
    """The sentences of the passages closest in meaning to the question, best first."""
    candidates = []
    for citation in citations:
        text = citation.hit.text
        for start, end in split_sentences(text):
            candidates.append((citation, start, end, " ".join(text[start:end].split())))
    if not candidates:
        return []
    vectors = embedder.embed([sentence for *_, sentence in candidates]).vectors
    scores = vectors @ embedder.embed_one(question)

    order = np.argsort(-scores)
    chosen = [i for i in order[:limit] if scores[i] >= minimum] or [int(order[0])]
    highlights = []
    for i in chosen:
        citation, start, end, sentence = candidates[i]
        hit = citation.hit
        highlights.append(Highlight(sentence, citation.n, hit.source, hit.page,
                                    hit.document_id, hit.start + start, hit.start + end,
                                    float(scores[i])))
    return highlights


def extractive_answer(answer: Answer) -> str:
    """The highlighted sentences with their citation numbers: an answer with no generator."""
    return " ".join(f"{h.sentence} [{h.n}]" for h in answer.highlights)


def build_prompt(question: str, citations: list[Citation]) -> str:
    passages = "\n\n".join(f"[{c.n}] ({c.hit.name}, page {c.hit.page})\n"
                           f"{' '.join(c.hit.text.split())}" for c in citations)
    return f"{_INSTRUCTIONS}\n\n{passages}\n\nQuestion: {question}"


def fit_to_budget(generator, question: str, citations: list[Citation], budget: int
                  ) -> tuple[list[Citation], int, list[str]]:
    """The passages (best first) whose prompt fits the budget, its size, and what was left out."""
    kept, notes = list(citations), []
    while kept:
        tokens = generator.count_tokens(build_prompt(question, kept))
        if tokens <= budget:
            break
        dropped = kept.pop()
        notes.append(f"passage [{dropped.n}] left out of the prompt: the context budget "
                     f"({budget} tokens) was full")
    if not kept:
        return [], 0, notes
    return kept, tokens, notes


def _generate(answer: Answer, options: AskOptions, cancel, generator) -> Iterator[AskEvent]:
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
    given, tokens, notes = fit_to_budget(generator, answer.question, answer.citations,
                                         prompt_budget)
    answer.notes += notes
    answer.prompt_tokens, answer.context_tokens = tokens, context
    yield AskEvent("retrieved", answer)

    settings = GenerationOptions(strategy="greedy", max_new_tokens=options.max_new_tokens,
                                 repetition_penalty=1.1)
    parts = []
    for event in generator.stream(build_prompt(answer.question, given), settings, chat=True,
                                  cancel=cancel):
        if event.kind == "token" and event.text:
            parts.append(event.text)
            yield AskEvent("token", answer, event.text)
        elif event.kind == "done":
            answer.prompt_tokens = event.result.prompt_tokens or answer.prompt_tokens
            parts = [event.result.text]
    _finish(answer, "".join(parts).strip(), len(given))
    yield AskEvent("done", answer)


def _finish(answer: Answer, text: str, passages: int) -> None:
    answer.text, answer.generated = text, True
    numbers = sorted({int(n) for n in _CITATION.findall(text)})
    answer.cited = [n for n in numbers if 1 <= n <= passages]
    invalid = [n for n in numbers if not 1 <= n <= passages]
    if invalid:
        answer.notes.append(f"the model cited passage(s) {invalid} that do not exist")
    if not answer.cited:
        answer.notes.append("the model's answer cites no passage; check it against the "
                            "highlighted sentences")


def _load_generator():
    from inference.generation import load_generator

    return load_generator()
