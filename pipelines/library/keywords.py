"""Keyword (BM25) scores over the FTS5 index, with an IDF that never collapses to zero.

FTS5's own bm25() uses idf = log((N - n + 0.5) / (n + 0.5)) and clamps it to 1e-6 when a word is
in half the chunks or more, so in a small library (one or two documents) every match scores
0.00. Here each query word is asked of FTS5 alone (its tokenizer, stemmer and length
normalisation stay), the clamped idf is divided out, and the word is weighted again with the
always-positive idf = log(1 + (N - n + 0.5) / (n + 0.5)) that Lucene uses.
"""

import logging
import math
import re
import sqlite3

log = logging.getLogger(__name__)

PER_WORD_LIMIT = 2000  # best-matching chunks considered per word: bounds the work per query
FTS_IDF_FLOOR = 1e-6  # FTS5's clamp for words in half the chunks or more

# Function words carry no topic: a chunk that shares only these with the query has no keyword
# match (its BM25 shows "-"). A query made only of them keeps them.
STOP_WORDS = frozenset("""
a about above after again all also am an and any are as at be been before being below between
both but by can could did do does doing down during each few for from further had has have
having he her here hers him his how i if in into is it its itself just me more most my no nor
not now of off on once only or other our ours out over own same she should so some such than
that the their theirs them then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your yours
""".split())


def query_words(query: str) -> list[str]:
    """The query's words for keyword search: lower-case, unique, function words left out."""
    words = re.findall(r"\w+", query.lower())
    unique = list(dict.fromkeys(word for word in words if len(word) > 1 or word.isdigit()))
    content = [word for word in unique if word not in STOP_WORDS]
    return content or unique


def bm25_search(db: sqlite3.Connection, query: str, *, limit: int,
                document_ids: list[int] | None = None) -> list[tuple[int, float]]:
    """(chunk id, BM25 score, higher is better) for chunks sharing a query word, best first."""
    words = query_words(query)
    if not words:
        return []
    total = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    scores: dict[int, float] = {}
    for word in words:
        for chunk_id, score in _word_scores(db, word, total, document_ids):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + score
    ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
    return ranked[:limit]


def _word_scores(db: sqlite3.Connection, word: str, total: int,
                 document_ids: list[int] | None) -> list[tuple[int, float]]:
    match = f'"{word}"'  # a quoted phrase: no FTS5 syntax from the user gets through
    containing = db.execute("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH ?",
                            (match,)).fetchone()[0]
    if not containing:
        return []
    ratio = (total - containing + 0.5) / (containing + 0.5)
    fts_idf = max(math.log(ratio), FTS_IDF_FLOOR) if ratio > 1 else FTS_IDF_FLOOR
    idf = math.log(1.0 + ratio)
    sql = "SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ?"
    params: list = [match]
    if document_ids:
        marks = ",".join("?" * len(document_ids))
        sql += f" AND rowid IN (SELECT id FROM chunks WHERE document_id IN ({marks}))"
        params += list(document_ids)
    rows = db.execute(sql + " ORDER BY bm25(chunks_fts) LIMIT ?",
                      [*params, PER_WORD_LIMIT]).fetchall()
    # -bm25 = fts_idf * (term-frequency part); keep the frequency part, use the better idf.
    return [(int(chunk_id), idf * float(score) / fts_idf) for chunk_id, score in rows]
