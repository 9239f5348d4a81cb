"""The part of a retrieved chunk worth showing: its sentences that best match the query."""

import logging
import re

import numpy as np

from pipelines.documents.chunking import split_sentences
from pipelines.library.keywords import query_words

log = logging.getLogger(__name__)

PREVIEW_CHARS = 300
_WORD = re.compile(r"\w+")
_SUFFIXES = ("ies", "ing", "ed", "es", "s")


def stem(word: str) -> str:
    """A crude English stem, enough to match army/armies or navy/navies in a preview."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[:-len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def keyword_overlap(sentence: str, stems: set[str]) -> int:
    """How many different query stems the sentence contains."""
    return len(stems & {stem(word) for word in _WORD.findall(sentence)})


def best_sentence(text: str, query: str) -> int | None:
    """Index (into split_sentences(text)) of the sentence sharing most query words, or None."""
    stems = {stem(word) for word in query_words(query)}
    spans = split_sentences(text)
    overlaps = [keyword_overlap(text[start:end], stems) for start, end in spans]
    if not overlaps or max(overlaps) == 0:
        return None
    return int(np.argmax(overlaps))  # the first of equally good sentences


def window(text: str, index: int, *, limit: int = PREVIEW_CHARS) -> str:
    """Sentence index of text and the sentences after it, white space collapsed, <= limit."""
    spans = split_sentences(text)
    if not spans:
        return ""
    index = min(max(index, 0), len(spans) - 1)
    start, end = spans[index]
    for next_start, next_end in spans[index + 1:]:
        if len(" ".join(text[start:next_end].split())) > limit:
            break
        end = next_end
    shown = " ".join(text[start:end].split())
    if len(shown) > limit:
        shown = shown[:limit - 1].rstrip() + "…"
    elif end < len(text.rstrip()):
        shown += " …"
    return ("… " if index > 0 else "") + shown


def semantic_best(embedder, query_vector: np.ndarray, texts: list[str]) -> list[int]:
    """For each text, the index of its sentence closest in meaning to the query (one batch)."""
    sentences, owners = [], []
    for number, text in enumerate(texts):
        for start, end in split_sentences(text):
            sentences.append(" ".join(text[start:end].split()))
            owners.append(number)
    best = [0] * len(texts)
    if not sentences:
        return best
    scores = embedder.embed(sentences).vectors @ np.asarray(query_vector, np.float32)
    top = [-2.0] * len(texts)
    counters = [0] * len(texts)
    for owner, score in zip(owners, scores.tolist()):
        if score > top[owner]:
            top[owner], best[owner] = score, counters[owner]
        counters[owner] += 1
    return best
