"""Look inside the library: recall of the HNSW index against exact search, and a 2-D map."""

import logging
import time
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)


@dataclass
class RecallPoint:
    """Recall@k and latency of the index at one ef, over sampled queries."""

    ef: int
    recall: float
    median_ms: float
    p95_ms: float
    exact_median_ms: float


def all_vectors(library) -> tuple[np.ndarray, np.ndarray]:
    """Every chunk id and its stored unit vector."""
    ids, vectors = [], []
    for batch_ids, batch_vectors in library.store.iter_embeddings():
        ids.append(batch_ids)
        vectors.append(batch_vectors)
    if not ids:
        return np.zeros(0, np.int64), np.zeros((0, library.store.dimensions), np.float32)
    return np.concatenate(ids), np.concatenate(vectors)


def measure_recall(library, *, k: int = 10, ef_values=(16, 32, 64, 96, 200),
                   queries: int = 200, seed: int = 0) -> list[RecallPoint]:
    """Recall@k of the index at each ef, with the library's own chunks as queries.

    Each query is a stored vector plus a little noise, so it is not trivially its own
    nearest neighbour; the truth is exact cosine search over every stored vector.
    """
    ids, vectors = all_vectors(library)
    if len(ids) == 0:
        return []
    k = min(k, len(ids))
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(ids), size=min(queries, len(ids)), replace=False)
    noisy = vectors[picks] + rng.normal(0, 0.02, (len(picks), vectors.shape[1]))
    noisy = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)

    truth, exact_ms = _exact(ids, vectors, noisy, k)
    return [_at_ef(library, noisy, truth, k, ef, exact_ms) for ef in ef_values]


def _exact(ids: np.ndarray, vectors: np.ndarray, queries: np.ndarray, k: int):
    truth, times = [], []
    for query in queries:
        started = time.perf_counter()
        scores = vectors @ query
        top = np.argpartition(-scores, k - 1)[:k]
        times.append((time.perf_counter() - started) * 1000)
        truth.append(set(ids[top].tolist()))
    return truth, float(np.median(times))


def _at_ef(library, queries: np.ndarray, truth: list[set], k: int, ef: int,
           exact_ms: float) -> RecallPoint:
    found, times = 0, []
    for query, expected in zip(queries, truth):
        started = time.perf_counter()
        hits = library.index.query(query, k, ef=ef)
        times.append((time.perf_counter() - started) * 1000)
        found += len(expected & {chunk_id for chunk_id, _ in hits})
    return RecallPoint(ef, found / (k * len(queries)), float(np.median(times)),
                       float(np.percentile(times, 95)), exact_ms)


@dataclass
class MapProjection:
    """A 2-D view of unit vectors by their two principal components."""

    mean: np.ndarray
    components: np.ndarray  # [2, dimensions]
    explained: tuple[float, float]

    def project(self, vectors: np.ndarray) -> np.ndarray:
        return (np.atleast_2d(vectors) - self.mean) @ self.components.T


def fit_map(vectors: np.ndarray) -> MapProjection:
    """PCA by singular value decomposition of the centred vectors."""
    mean = vectors.mean(axis=0)
    centred = vectors - mean
    if len(vectors) < 2:
        components = np.eye(2, vectors.shape[1], dtype=np.float32)
        return MapProjection(mean, components, (0.0, 0.0))
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    variance = singular ** 2
    share = variance / variance.sum() if variance.sum() > 0 else variance
    explained = (float(share[0]), float(share[1]) if len(share) > 1 else 0.0)
    components = vt[:2] if len(vt) >= 2 else np.vstack([vt, np.zeros_like(vt)])
    return MapProjection(mean, components.astype(np.float32), explained)
