"""Splits text into words and the separators between them, and puts it back together."""

import re
from typing import Callable

# A word: letters or digits of any script, with inner apostrophes ("don't", "o’clock").
WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SPLIT_RE = re.compile(r"([^\W_]+(?:['’][^\W_]+)*)")
_SENTENCE_END_RE = re.compile(r"[.!?]|\n")


def segments(text: str) -> list[str]:
    """Alternating [separator, word, separator, ..., separator]: words sit at odd indexes."""
    return _SPLIT_RE.split(text)


def count_words(text: str) -> int:
    return sum(1 for _ in WORD_RE.finditer(text))


def join_segments(parts: list[str], removed: set[int]) -> str:
    """Join segments, dropping the word indexes in removed and the space each leaves behind."""
    if not removed:
        return "".join(parts)
    out: list[str] = []
    for index, part in enumerate(parts):
        if index in removed:
            continue
        if index % 2 == 0 and out and index - 1 in removed:
            part = _merge_gap(out.pop(), part, at_end=index == len(parts) - 1)
        out.append(part)
    return "".join(out)


_CLOSING = tuple(".,;:!?)]}…")


def _merge_gap(left: str, right: str, *, at_end: bool) -> str:
    # Two separators meet where a word was dropped: keep one space, not two, none at the end.
    if (at_end and not right) or right[:1] in _CLOSING:
        return left.rstrip(" \t") + right
    if not left or left[-1] in " \t":
        return left + right.lstrip(" \t") if left else right.lstrip(" \t")
    return left + right


def map_words(text: str, change: Callable[[str, int, list[str]], str | None]) -> tuple[str, int]:
    """Apply change(word, index, parts) to every word; None removes it. Returns (text, removed)."""
    parts = segments(text)
    removed: set[int] = set()
    for index in range(1, len(parts), 2):
        new = change(parts[index], index, parts)
        if new is None:
            removed.add(index)
        else:
            parts[index] = new
    return join_segments(parts, removed), len(removed)


def starts_sentence(parts: list[str], index: int) -> bool:
    """True if the word at index opens a sentence (first word, or after . ! ? or a newline)."""
    return index == 1 or bool(_SENTENCE_END_RE.search(parts[index - 1]))


def match_case(original: str, new: str) -> str:
    """Give new the capitalisation pattern of original (lower, Title or UPPER)."""
    if original.isupper() and len(original) > 1:
        return new.upper()
    if original[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


# Capitalised pronouns and function words that are not names even inside a sentence.
_NOT_NAMES = frozenset({"I", "I'm", "I've", "I'd", "I'll", "OK"})


def looks_like_name(word: str, index: int, parts: list[str]) -> bool:
    """A capitalised word inside a sentence, probably a proper noun."""
    return (word[:1].isupper() and word not in _NOT_NAMES and len(word) > 1
            and not starts_sentence(parts, index))
