"""WordNet lemmatization, part-of-speech aware: the tagger decides verb, noun, adjective, adverb."""

import functools

from pipelines.cleaning.nltk_resources import sentence_splitter, wordnet
from pipelines.cleaning.tagging import fast_tagger
from pipelines.cleaning.words import match_case, segments, starts_sentence

# Penn Treebank tag prefix -> WordNet part of speech. Other tags (DT, IN, PRP...) stay as is.
_WORDNET_POS = {"J": "a", "V": "v", "N": "n", "R": "r"}
_PROPER_NOUN_TAGS = {"NNP", "NNPS"}
MAX_LEMMA_CHARS = 64


@functools.lru_cache(maxsize=1 << 18)
def lemma(word: str, pos: str) -> str:
    """The shortest WordNet lemma of a lowercase word for a part of speech, or the word."""
    if len(word) > MAX_LEMMA_CHARS or not word.isalpha():
        return word
    forms = wordnet()._morphy(word, pos)
    return min(forms, key=len) if forms else word


def lemmatize_text(text: str, ctx) -> str:
    """Lemmatize sentence by sentence (the tagger needs a sentence's context)."""
    out, position = [], 0
    for start, end in sentence_splitter().span_tokenize(text):
        out.append(text[position:start])
        out.append(_lemmatize_sentence(text[start:end], ctx))
        position = end
    out.append(text[position:])
    return "".join(out)


def _lemmatize_sentence(sentence: str, ctx) -> str:
    parts = segments(sentence)
    words = parts[1::2]
    if not words:
        return sentence
    tags = [tag for _, tag in fast_tagger().tag(words)]
    for offset, (word, tag) in enumerate(zip(words, tags)):
        index = 2 * offset + 1
        new = _lemmatize_word(word, tag, index, parts)
        if new != word:
            ctx.report.record(word, new)
            parts[index] = new
    return "".join(parts)


def _lemmatize_word(word: str, tag: str, index: int, parts: list[str]) -> str:
    pos = _WORDNET_POS.get(tag[:1])
    if pos is None:
        return word
    # A proper noun keeps its form ("Williams" is not "William"), unless it opens a sentence,
    # where the tagger often mistakes a capitalised common word for a name.
    if tag in _PROPER_NOUN_TAGS and not starts_sentence(parts, index):
        return word
    lower = word.lower()
    base = lemma(lower.replace("’", "'"), pos)
    return word if base == lower else match_case(word, base)


def tag_words(text: str) -> list[tuple[str, str]]:
    """(word, Penn tag) for every word, sentence by sentence, for the GUI and tests."""
    tagged = []
    for start, end in sentence_splitter().span_tokenize(text):
        words = segments(text[start:end])[1::2]
        if words:
            tagged.extend(fast_tagger().tag(words))
    return tagged
