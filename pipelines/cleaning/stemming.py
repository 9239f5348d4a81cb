"""Porter, Snowball and Lancaster stemmers, cached, compared side by side, guarded."""

import functools
import logging
from dataclasses import dataclass

from pipelines.cleaning.nltk_resources import english_stopwords, wordnet
from pipelines.cleaning.words import WORD_RE, looks_like_name, map_words

log = logging.getLogger(__name__)

STEMMER_NAMES = ("porter", "snowball", "lancaster")
# Stemmers handle a 10,000-character word in milliseconds; far beyond that (a base64 blob
# with no spaces) stemming is pointless and the cache would hold huge strings.
MAX_STEM_CHARS = 100_000


@functools.cache
def stemmer(name: str):
    from nltk.stem import LancasterStemmer, PorterStemmer, SnowballStemmer

    makers = {"porter": PorterStemmer, "lancaster": LancasterStemmer,
              "snowball": lambda: SnowballStemmer("english")}
    return makers[name]()


@functools.lru_cache(maxsize=1 << 18)
def stem_word(name: str, word: str) -> str:
    """The stem of one word; over-long or unstemmable words come back lowercased, unchanged."""
    if len(word) > MAX_STEM_CHARS:
        return word.lower()
    try:
        return stemmer(name).stem(word)
    except (IndexError, ValueError, RecursionError) as error:
        # Stemmers have crashed on odd endings before ("oed", "oing"); never let one stop a run.
        log.warning("The %s stemmer failed on %r (%s); keeping the word", name, word, error)
        return word.lower()


@functools.lru_cache(maxsize=1 << 17)
def is_word(word: str) -> bool:
    """True if WordNet knows the word in any part of speech, or it is a stopword."""
    word = word.lower()
    if word in english_stopwords():
        return True
    return bool(wordnet().morphy(word)) or bool(wordnet().lemmas(word))


def stem_text(text: str, ctx) -> str:
    """Stem every word with the chosen stemmer; flag non-words and altered names."""
    name = ctx.options.stemmer

    def change(word: str, index: int, parts: list[str]) -> str:
        stem = stem_word(name, word)
        if stem != word:
            ctx.report.record(word, stem)
            _note_pitfalls(word, stem, index, parts, ctx)
        return stem

    new_text, _ = map_words(text, change)
    return new_text


def _note_pitfalls(word: str, stem: str, index: int, parts: list[str], ctx) -> None:
    if looks_like_name(word, index, parts):
        ctx.pitfalls.add("proper_nouns", "stem", word)
    elif stem != word.lower() and word.isalpha() and not is_word(stem) and is_word(word):
        ctx.pitfalls.add("over_stemmed", "stem", f"{word} -> {stem}")


@dataclass(frozen=True)
class StemRow:
    """One word through every stemmer."""

    word: str
    stems: dict[str, str]
    disagree: bool
    non_words: tuple[str, ...]

    def to_json(self) -> dict:
        return {"word": self.word, **self.stems, "disagree": self.disagree,
                "non_words": list(self.non_words)}


def compare_stemmers(text: str, *, limit: int = 400) -> list[StemRow]:
    """Each distinct word (up to limit) through Porter, Snowball and Lancaster."""
    rows, seen = [], set()
    for match in WORD_RE.finditer(text):
        word = match.group()
        key = word.lower()
        if key in seen or not word.isalpha():
            continue
        seen.add(key)
        rows.append(_row(word))
        if len(rows) >= limit:
            break
    return rows


def _row(word: str) -> StemRow:
    stems = {name: stem_word(name, word) for name in STEMMER_NAMES}
    non_words = tuple(name for name, stem in stems.items()
                      if stem != word.lower() and not is_word(stem))
    return StemRow(word, stems, len(set(stems.values())) > 1, non_words)
