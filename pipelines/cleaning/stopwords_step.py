"""Stopword removal with NLTK's English list (or the user's), guarding negations."""

from pipelines.cleaning.nltk_resources import english_stopwords
from pipelines.cleaning.words import map_words

# Words whose removal flips meaning, including the apostrophe-less pieces NLTK's list holds
# ("don" from "don't") so "keep negations" keeps those too.
NEGATIONS = frozenset({
    "not", "no", "nor", "never", "none", "nobody", "nothing", "neither", "nowhere", "cannot",
    "n't", "ain", "aren", "couldn", "didn", "doesn", "don", "hadn", "hasn", "haven", "isn",
    "mightn", "mustn", "needn", "shan", "shouldn", "wasn", "weren", "won", "wouldn",
    "aren't", "couldn't", "didn't", "doesn't", "don't", "hadn't", "hasn't", "haven't", "isn't",
    "mightn't", "mustn't", "needn't", "shan't", "shouldn't", "wasn't", "weren't", "won't",
    "wouldn't", "can't",
})


def active_stopwords(options) -> frozenset[str]:
    """The list in force: the user's or NLTK's, minus negations when they are kept."""
    words = options.stopwords if options.stopwords is not None else english_stopwords()
    words = frozenset(word.strip().lower().replace("’", "'") for word in words if word.strip())
    return words - NEGATIONS if options.keep_negations else words


def negations_in(words: frozenset[str]) -> list[str]:
    """The negations a stopword list would remove, for a warning before running."""
    core = ("not", "no", "nor", "never")
    found = words & NEGATIONS
    return [w for w in core if w in found] + sorted(found.difference(core))


def remove_stopwords(text: str, ctx) -> str:
    """Drop every word on the list (case-insensitive), counting negations dropped."""
    stop = active_stopwords(ctx.options)

    def change(word: str, index: int, parts: list[str]) -> str | None:
        key = word.lower().replace("’", "'")
        if key not in stop:
            return word
        ctx.report.record(word, "")
        if key in NEGATIONS:
            ctx.pitfalls.add("negations", "stopwords", key)
        return None

    new_text, _ = map_words(text, change)
    return new_text
