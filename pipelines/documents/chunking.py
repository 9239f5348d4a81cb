"""Split document text into sentence-aligned chunks that fit the embedder, with overlap."""

import logging
import re
from dataclasses import dataclass
from typing import Callable

from inference.errors import InvalidSettingError
from pipelines.documents.readers import DocumentText

log = logging.getLogger(__name__)

# [CLS] and [SEP] wrap every chunk the embedder sees.
SPECIAL_TOKENS = 2

# A sentence ends at . ! ? (with closing quotes or brackets) followed by white space, or at a
# blank line; a lone capital letter or a common abbreviation before the dot is not an end.
_SENTENCE_END = re.compile(r"([.!?][\"')\]]*)\s+|\n\s*\n")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "no",
                  "fig", "art", "sec", "cf", "jr", "sr", "inc", "ltd", "co", "p", "pp", "vol"}


@dataclass(frozen=True)
class ChunkOptions:
    """Chunk size and overlap in embedder tokens (word pieces, without [CLS]/[SEP])."""

    max_tokens: int = 254
    overlap_tokens: int = 40

    def __post_init__(self) -> None:
        if not 16 <= self.max_tokens <= 510:
            raise InvalidSettingError(f"Chunk size {self.max_tokens} tokens is outside "
                                      "16-510; 254 fills the embedder's 256-token window.")
        if not 0 <= self.overlap_tokens < self.max_tokens // 2:
            raise InvalidSettingError(f"Chunk overlap {self.overlap_tokens} tokens must be "
                                      f"at least 0 and below half the chunk size "
                                      f"({self.max_tokens // 2}).")


@dataclass(frozen=True)
class Chunk:
    """A passage: text[start:end] of its document, the pages it spans, its token count."""

    index: int
    start: int
    end: int
    text: str
    page_start: int
    page_end: int
    token_count: int  # including [CLS] and [SEP]


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    tokens: int


# A tokenizer's view of texts: token counts without specials, and (for cutting one over-long
# sentence) each token's start offset and whether it begins a word.
CountTokens = Callable[[list[str]], list[int]]
TokenStarts = Callable[[str], list[tuple[int, bool]]]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in text, white space trimmed, covering all words."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.group(1) and _is_abbreviation(text, match.start(1) + 1):
            continue
        spans.append((start, match.end(1) if match.group(1) else match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [trimmed for span in spans if (trimmed := _trim(text, *span))]


def _is_abbreviation(text: str, end: int) -> bool:
    if end == 0 or text[end - 1] != ".":
        return False
    word = re.search(r"([\w.]+)\.$", text[max(0, end - 12):end])
    if not word:
        return False
    token = word.group(1).lower()
    letters = token.split(".")
    return token in _ABBREVIATIONS or all(len(part) == 1 and part.isalpha() for part in letters)


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def chunk_document(document: DocumentText, *, count_tokens: CountTokens,
                   token_starts: TokenStarts, options: ChunkOptions | None = None) -> list[Chunk]:
    """Chunks that together cover every sentence of the document, none over the limit."""
    options = options or ChunkOptions()
    text = document.text
    sentences = split_sentences(text)
    counts = count_tokens([text[s:e] for s, e in sentences])
    spans = _fit_sentences(text, sentences, counts, token_starts, options.max_tokens)

    pages = [document.page_at(span.start) for span in spans]
    chunks = []
    for start_index, end_index in _pack(spans, pages, options):
        first, last = spans[start_index], spans[end_index - 1]
        tokens = sum(span.tokens for span in spans[start_index:end_index]) + SPECIAL_TOKENS
        chunks.append(Chunk(index=len(chunks), start=first.start, end=last.end,
                            text=text[first.start:last.end],
                            page_start=document.page_at(first.start),
                            page_end=document.page_at(last.end - 1), token_count=tokens))
    return chunks


def _fit_sentences(text: str, sentences: list[tuple[int, int]], counts: list[int],
                   token_starts: TokenStarts, max_tokens: int) -> list[Span]:
    """Sentences as spans; one longer than the limit is cut into pieces, never dropped."""
    spans = []
    for (start, end), tokens in zip(sentences, counts):
        if tokens <= max_tokens:
            spans.append(Span(start, end, tokens))
        else:
            spans.extend(_cut_long(text, start, end, token_starts, max_tokens))
    return spans


def _cut_long(text: str, start: int, end: int, token_starts: TokenStarts,
              max_tokens: int) -> list[Span]:
    """Cut text[start:end] at word starts (or, inside one huge word, at token starts)."""
    starts = token_starts(text[start:end])
    total = len(starts)
    # A cut inside a word re-tokenizes its tail, which can cost a token or two: keep room.
    limit = max_tokens - 4
    pieces, first = [], 0
    while first < total:
        last = min(first + limit, total)
        if last < total:
            word_cut = max((i for i in range(first + 1, last + 1) if starts[i][1]), default=0)
            last = word_cut or last
        piece_end = start + starts[last][0] if last < total else end
        pieces.append(Span(start + starts[first][0], piece_end, last - first))
        first = last
    log.debug("Cut a %d-character sentence into %d pieces", end - start, len(pieces))
    return [Span(*trimmed, piece.tokens) for piece in pieces
            if (trimmed := _trim(text, piece.start, piece.end))]


def _pack(spans: list[Span], pages: list[int], options: ChunkOptions
          ) -> list[tuple[int, int]]:
    """Greedy packing of spans into [start, end) index ranges, each overlapping the last.

    A new page starts a new chunk (without overlap), so a citation names one page.
    """
    ranges, start = [], 0
    while start < len(spans):
        end, tokens = start, 0
        while (end < len(spans) and tokens + spans[end].tokens <= options.max_tokens
               and pages[end] == pages[start]):
            tokens += spans[end].tokens
            end += 1
        ranges.append((start, end))
        if end >= len(spans):
            break
        page_break = pages[end] != pages[start]
        start = end if page_break else _overlap_start(spans, start, end,
                                                      options.overlap_tokens)
    return ranges


def _overlap_start(spans: list[Span], start: int, end: int, overlap_tokens: int) -> int:
    """The first span of the next chunk: repeat trailing sentences worth <= overlap tokens."""
    begin, carried = end, 0
    while begin - 1 > start and carried + spans[begin - 1].tokens <= overlap_tokens:
        begin -= 1
        carried += spans[begin].tokens
    return begin
