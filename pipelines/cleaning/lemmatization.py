"""WordNet lemmatization, part-of-speech aware: the tagger decides verb, noun, adjective, adverb."""

import functools
import re

from pipelines.cleaning.nltk_resources import sentence_splitter, wordnet
from pipelines.cleaning.tagging import fast_tagger
from pipelines.cleaning.words import looks_like_name, match_case, segments

# Penn Treebank tag prefix -> WordNet part of speech. Other tags (DT, IN, PRP...) stay as is.
_WORDNET_POS = {"J": "a", "V": "v", "N": "n", "R": "r"}
_PROPER_NOUN_TAGS = {"NNP", "NNPS"}
MAX_LEMMA_CHARS = 64
MAX_PUNKT_CHARS = 20_000
_LINE_RE = re.compile(r"[^\n]+")
_PUNCT_RE = re.compile(r"\.\.\.|--|[^\w\s]")


# Parts of speech to try, in order, when WordNet does not know a word as the tagged one.
_FALLBACK_POS = ("n", "v", "a", "r")


@functools.lru_cache(maxsize=1 << 18)
def lemma(word: str, pos: str) -> str:
    """The shortest WordNet lemma of a lowercase word for a part of speech, or the word.

    The tagger errs on fragments such as "geese running." (it calls "geese" an adjective);
    when WordNet has no such word in the tagged part of speech, the first one it does know
    the word in decides, so the tag's mistake does not leave the word unlemmatized.
    """
    if len(word) > MAX_LEMMA_CHARS or not word.isalpha():
        return word
    for candidate in (pos, *(p for p in _FALLBACK_POS if p != pos)):
        forms = wordnet()._morphy(word, candidate)
        if forms:
            return min(forms, key=len)
    return word


def lemmatize_text(text: str, ctx) -> str:
    """Lemmatize sentence by sentence (the tagger needs a sentence's context)."""
    out, position = [], 0
    for start, end in sentence_spans(text):
        out.append(text[position:start])
        out.append(_lemmatize_sentence(text[start:end], ctx))
        position = end
    out.append(text[position:])
    return "".join(out)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, found by Punkt line by line.

    The spans are listed before any tagging starts: NLTK bounds Punkt's regex by wall-clock
    time, and a lazily consumed iterator would count our own work (and WordNet's first load)
    against that limit. Very long lines are cut at a space so each call stays small.
    """
    splitter = sentence_splitter()
    spans = []
    for line in _LINE_RE.finditer(text):
        for offset, piece in _pieces(line.group(), line.start()):
            spans.extend((offset + a, offset + b) for a, b in splitter.span_tokenize(piece))
    return spans


def _pieces(line: str, offset: int):
    while len(line) > MAX_PUNKT_CHARS:
        cut = line.rfind(" ", 0, MAX_PUNKT_CHARS) + 1 or MAX_PUNKT_CHARS
        yield offset, line[:cut]
        line, offset = line[cut:], offset + cut
    yield offset, line


def _lemmatize_sentence(sentence: str, ctx) -> str:
    parts = segments(sentence)
    words = parts[1::2]
    if not words:
        return sentence
    tags = _word_tags(parts)
    for offset, (word, tag) in enumerate(zip(words, tags)):
        index = 2 * offset + 1
        new = _lemmatize_word(word, tag, looks_like_name(word, index, parts))
        if new != word:
            ctx.report.record(word, new)
            parts[index] = new
    return "".join(parts)


def _word_tags(parts: list[str]) -> list[str]:
    """Tags of the words in parts, tagged with the punctuation between them as tokens.

    The tagger learnt from text where commas and full stops are tokens; its context features
    read them, so they are kept in the sequence and their own tags dropped afterwards.
    """
    tokens, word_positions = [], []
    for index, part in enumerate(parts):
        if index % 2:
            word_positions.append(len(tokens))
            tokens.append(part)
        else:
            tokens.extend(_PUNCT_RE.findall(part))
    tagged = fast_tagger().tag(tokens)
    return [tagged[position][1] for position in word_positions]


def _lemmatize_word(word: str, tag: str, capitalised_inside: bool) -> str:
    pos = _WORDNET_POS.get(tag[:1])
    if pos is None:
        return word
    # A proper noun keeps its form: "Williams" is not "William", "Mars" is not "Mar". The
    # tagger misses many names, so a capital inside a sentence counts as one too.
    if tag in _PROPER_NOUN_TAGS or capitalised_inside:
        return word
    lower = word.lower()
    base = lemma(lower.replace("’", "'"), pos)
    return word if base == lower else match_case(word, base)


def tag_words(text: str) -> list[tuple[str, str]]:
    """(word, Penn tag) for every word, sentence by sentence, for the GUI and tests."""
    tagged = []
    for start, end in sentence_spans(text):
        parts = segments(text[start:end])
        tagged.extend(zip(parts[1::2], _word_tags(parts)))
    return tagged
