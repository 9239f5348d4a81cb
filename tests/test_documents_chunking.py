"""Chunking with the real embedder's tokenizer: fits the model, covers every word, keeps offsets."""

from pathlib import Path

import pytest

from inference.embedding import load_embedder
from inference.errors import InvalidSettingError
from pipelines.documents.chunking import ChunkOptions, chunk_document, split_sentences
from pipelines.documents.readers import DocumentText, Page, read_document
from tests.fixtures.documents import ASTRONOMY, GARDENING, constitution_text, make_pdf


@pytest.fixture(scope="module")
def embedder():
    return load_embedder()


def _chunk(embedder, document, **options):
    return chunk_document(document, count_tokens=embedder.content_token_counts,
                          token_starts=embedder.token_starts, options=ChunkOptions(**options))


def _text_document(text: str) -> DocumentText:
    return DocumentText(Path("memo.txt"), "text", text, [Page(1, 0, len(text))])


def _assert_covers_every_word(document, chunks):
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    missing = [i for i, ch in enumerate(document.text) if not ch.isspace() and i not in covered]
    assert missing == []


def test_constitution_chunks_fit_the_embedder_and_lose_nothing(embedder):
    document = _text_document(constitution_text())

    chunks = _chunk(embedder, document)

    recounted = embedder.count_tokens_batch([chunk.text for chunk in chunks])
    assert recounted == [chunk.token_count for chunk in chunks]
    assert max(recounted) <= 256
    assert all(document.text[c.start:c.end] == c.text for c in chunks)
    _assert_covers_every_word(document, chunks)


def test_neighbouring_chunks_overlap_by_whole_sentences(embedder):
    chunks = _chunk(embedder, _text_document(constitution_text()), overlap_tokens=40)

    overlaps = [a.end - b.start for a, b in zip(chunks, chunks[1:])]
    assert sum(overlap > 0 for overlap in overlaps) >= len(overlaps) // 2
    assert all(b.start > a.start for a, b in zip(chunks, chunks[1:]))


def test_a_sentence_longer_than_a_chunk_is_cut_not_truncated(embedder):
    text = "word " * 600 + "x" * 3000 + " end of the run-on sentence."
    document = _text_document(text)

    chunks = _chunk(embedder, document, max_tokens=254)

    assert len(chunks) >= 3
    assert max(embedder.count_tokens_batch([c.text for c in chunks])) <= 256
    _assert_covers_every_word(document, chunks)


def test_chunks_know_their_pdf_pages(embedder, tmp_path):
    document = read_document(make_pdf(tmp_path / "notes.pdf", [ASTRONOMY, GARDENING]))

    chunks = _chunk(embedder, document)

    moon = next(c for c in chunks if "Moon orbits" in c.text)
    tomato = next(c for c in chunks if "Tomatoes" in c.text)
    assert (moon.page_start, moon.page_end) == (1, 1)
    assert (tomato.page_start, tomato.page_end) == (2, 2)


def test_sentence_splitter_respects_abbreviations():
    text = "Dr. Smith met Mr. Jones at 5 p.m. on Main St. today. They talked! Did it rain?"

    sentences = [text[s:e] for s, e in split_sentences(text)]

    assert sentences == ["Dr. Smith met Mr. Jones at 5 p.m. on Main St. today.",
                         "They talked!", "Did it rain?"]


@pytest.mark.parametrize("options", [dict(max_tokens=8), dict(max_tokens=600),
                                     dict(max_tokens=100, overlap_tokens=60),
                                     dict(overlap_tokens=-1)])
def test_bad_chunk_settings_are_refused(options):
    with pytest.raises(InvalidSettingError):
        ChunkOptions(**options)
