"""Hybrid retrieval: HNSW cosine and FTS5 BM25 lists fused by reciprocal rank, optional MMR."""

import logging
from dataclasses import dataclass

import numpy as np

from inference.errors import InvalidSettingError

log = logging.getLogger(__name__)

RRF_K = 60  # the constant from the original reciprocal-rank-fusion paper


@dataclass(frozen=True)
class SearchOptions:
    """How many hits, how many candidates each retriever offers, and diversification."""

    k: int = 5
    candidates: int = 50
    mmr: bool = False
    mmr_lambda: float = 0.7  # 1.0 = pure relevance, 0.0 = pure diversity
    document_ids: tuple[int, ...] = ()
    keyword: bool = True
    ef: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.k <= 200:
            raise InvalidSettingError(f"Number of results {self.k} is outside 1-200.")
        if not 0.0 <= self.mmr_lambda <= 1.0:
            raise InvalidSettingError(f"MMR lambda {self.mmr_lambda} is outside 0-1; 0.7 "
                                      "balances relevance and variety.")


@dataclass
class Hit:
    """One retrieved chunk with the scores that put it there."""

    chunk_id: int
    document_id: int
    source: str
    name: str
    page: int
    page_end: int
    start: int
    end: int
    text: str
    score: float  # fused (RRF) score
    vector_score: float  # cosine similarity to the query, for every hit
    keyword_score: float | None  # BM25, None when the chunk matched no query word
    vector_rank: int | None = None
    keyword_rank: int | None = None
    preview: str = ""  # the chunk's sentences that best match the query, for display

    def as_json(self) -> dict:
        return {"source": self.source, "page": self.page, "text": self.text,
                "preview": self.preview,
                "score": round(self.score, 6), "vector_score": round(self.vector_score, 4),
                "keyword_score": None if self.keyword_score is None
                else round(self.keyword_score, 4)}


def rrf(rankings: list[list[int]], *, k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion: each list adds 1 / (k + rank) to the items it ranks."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def mmr(query: np.ndarray, vectors: np.ndarray, relevance: np.ndarray, *, k: int,
        lam: float) -> list[int]:
    """Maximal marginal relevance: indices into vectors, each pick relevant but not redundant.

    query: [d]; vectors: [n, d] unit vectors; relevance: [n], higher is better.
    """
    del query  # relevance already holds the query similarity
    chosen: list[int] = []
    remaining = list(range(len(vectors)))
    similarity = vectors @ vectors.T
    while remaining and len(chosen) < k:
        redundancy = similarity[np.ix_(remaining, chosen)].max(axis=1) if chosen else \
            np.zeros(len(remaining))
        gains = lam * relevance[remaining] - (1.0 - lam) * redundancy
        best = remaining[int(np.argmax(gains))]
        chosen.append(best)
        remaining.remove(best)
    return chosen


def hybrid_search(library, query: str, options: SearchOptions) -> list[Hit]:
    """Top options.k chunks for query from the library, best first."""
    query_vector = library.embedder.embed_one(query)
    allowed = library.chunk_ids_of(options.document_ids) if options.document_ids else None
    vector_hits = library.index.query(query_vector, options.candidates, allowed=allowed,
                                      ef=options.ef)
    keyword_hits = library.store.keyword_search(
        query, limit=options.candidates,
        document_ids=list(options.document_ids)) if options.keyword else []

    vector_ranking = [chunk_id for chunk_id, _ in vector_hits]
    keyword_ranking = [chunk_id for chunk_id, _ in keyword_hits]
    fused = rrf([vector_ranking, keyword_ranking])
    records = library.store.chunks(list(fused))
    # A chunk removed since the index answered (another thread or process) is dropped.
    order = sorted((c for c in fused if c in records), key=lambda chunk_id: -fused[chunk_id])
    if not order:
        return []

    vectors = library.store.embeddings(order)
    cosines = vectors @ query_vector
    if options.mmr:
        picks = mmr(query_vector, vectors, np.array([fused[c] for c in order]),
                    k=options.k, lam=options.mmr_lambda)
    else:
        picks = list(range(min(options.k, len(order))))

    keyword_scores = dict(keyword_hits)
    hits = []
    for i in picks:
        chunk_id = order[i]
        record = records[chunk_id]
        hits.append(Hit(
            chunk_id=chunk_id, document_id=record.document_id, source=record.path,
            name=record.name, page=record.page_start, page_end=record.page_end,
            start=record.start, end=record.end, text=record.text, score=fused[chunk_id],
            vector_score=float(cosines[i]), keyword_score=keyword_scores.get(chunk_id),
            vector_rank=_rank(vector_ranking, chunk_id),
            keyword_rank=_rank(keyword_ranking, chunk_id)))
    add_previews(library.embedder, query, query_vector, hits)
    return hits


def add_previews(embedder, query: str, query_vector: np.ndarray, hits: list[Hit]) -> None:
    """Set each hit's preview: the sentences sharing most query words, else closest in meaning."""
    from pipelines.library.preview import best_sentence, semantic_best, window

    chosen = {i: best_sentence(hit.text, query) for i, hit in enumerate(hits)}
    unmatched = [i for i, index in chosen.items() if index is None]
    if unmatched:
        closest = semantic_best(embedder, query_vector, [hits[i].text for i in unmatched])
        chosen.update(zip(unmatched, closest))
    for i, hit in enumerate(hits):
        hit.preview = window(hit.text, chosen[i])


def _rank(ranking: list[int], chunk_id: int) -> int | None:
    try:
        return ranking.index(chunk_id) + 1
    except ValueError:
        return None
