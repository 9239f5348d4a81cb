"""Character-level steps: lowercasing, Unicode normalisation, whitespace and punctuation tidying."""

import re
import unicodedata

from pipelines.cleaning.words import looks_like_name, segments

# Typographic characters that NFKC leaves alone but a tokenizer treats as different symbols.
_TYPOGRAPHY = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "\u3000": " ",
    "\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None, "\u00ad": None,
})
# A run of non-ASCII characters with the letter before it, so combining marks compose.
_NON_ASCII_RE = re.compile(r"[A-Za-z]?[^\x00-\x7f]+")


def lowercase(text: str, ctx) -> str:
    """Lowercase; capitalised words inside a sentence are counted as proper nouns lost."""
    parts = segments(text)
    for index in range(1, len(parts), 2):
        word = parts[index]
        if word.islower() or not any(ch.isupper() for ch in word):
            continue
        ctx.report.record(word, word.lower())
        if looks_like_name(word, index, parts):
            ctx.pitfalls.add("proper_nouns", "lower", word)
    return text.lower()


def unicode_normalize(text: str, ctx) -> str:
    """Straight quotes and apostrophes, plain spaces, no zero-width marks, then NFKC."""
    def fix(match: re.Match) -> str:
        run = match.group()
        new = unicodedata.normalize("NFKC", run.translate(_TYPOGRAPHY))
        if new != run:
            ctx.report.record(run, new or "")
        return new

    return _NON_ASCII_RE.sub(fix, text)


# (pattern, replacement) applied in order; each substitution counts as one fix.
_TIDY_RULES = [
    (re.compile(r"[ \t\f\v]{2,}|[\t\f\v]"), " "),
    (re.compile(r" +(?=[,.;:!?%)\]}])"), ""),
    (re.compile(r"(?<=[(\[{]) +"), ""),
    (re.compile(r"([,;:])(?:\s*[,;:])+"), r"\1"),
    (re.compile(r"([!?])\1+"), r"\1"),
    (re.compile(r"\.{4,}"), "..."),
    (re.compile(r"(?m)^ +| +$"), ""),
    (re.compile(r"(?m)^[,;:] ?"), ""),
    (re.compile(r"\n{3,}"), "\n\n"),
]


def tidy(text: str, ctx) -> str:
    """Collapse spaces, drop spaces before punctuation and orphaned commas, limit blank lines."""
    for pattern, replacement in _TIDY_RULES:
        text, count = pattern.subn(replacement, text)
        ctx.report.changed += count
    return text
