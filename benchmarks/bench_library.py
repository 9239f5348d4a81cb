"""Library speed and scale: ingestion against the raw embedder, and HNSW latency/recall/memory.

Ingestion: chunks per second of `Library.add` on copies of the US Constitution, against the
embedder alone on the same chunk texts (the difference is reading, chunking and storing).

Vector search: hnswlib with the library's default settings on n unit vectors of 384
dimensions drawn around 2,000 random centres (clustered, like real embeddings; uniform random
vectors are a harder, less realistic case), queried with 200 held-out vectors; recall@10 is
against exact search by matrix product. Memory is the saved index size per vector, scaled to
a million, and the process's resident growth while building.

    .venv/bin/python benchmarks/bench_library.py [--sizes 10000 100000] [--million]
        [--skip-ingest] [--data clustered|uniform|kjv] [--json FILE]
"""

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DIMENSIONS = 384
QUERIES = 200
EF_VALUES = (32, 64, 96, 128, 200)


def bench_ingest(copies: int = 6, rounds: int = 2) -> dict:
    """Best of a few rounds each: the machine is shared, so the fastest run is the cleanest."""
    from pipelines.library.library import Library

    text = gzip.decompress(Path("/usr/share/state/us-constitution.gz").read_bytes()).decode()
    ingest_rates, raw_rates, chunks = [], [], 0
    for round_number in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            inbox = Path(folder) / "inbox"
            inbox.mkdir()
            for number in range(copies):
                (inbox / f"copy {number}.txt").write_text(f"Copy {number}.\n\n{text}")
            library = Library(Path(folder) / "lib")
            library.embedder.embed(["warm up"])

            started = time.perf_counter()
            reports = library.add_all([inbox])
            chunks = sum(report.chunks for report in reports)
            ingest_rates.append(chunks / (time.perf_counter() - started))

            texts = [c.text for d in library.documents()
                     for c in library.store.document_chunks(d.id)]
            started = time.perf_counter()
            for start in range(0, len(texts), 64):
                library.embedder.embed(texts[start:start + 64])
            raw_rates.append(len(texts) / (time.perf_counter() - started))
            library.close()

    ingest_rate, raw_rate = max(ingest_rates), max(raw_rates)
    return {"chunks": chunks, "ingest_chunks_per_s": round(ingest_rate, 2),
            "embedder_chunks_per_s": round(raw_rate, 2),
            "overhead_percent": round(100 * (raw_rate / ingest_rate - 1), 1),
            "all_ingest_rates": [round(r, 2) for r in ingest_rates],
            "all_embedder_rates": [round(r, 2) for r in raw_rates]}


def clustered_vectors(n: int, rng: np.random.Generator, centres: int = 2000) -> np.ndarray:
    centre_vectors = rng.normal(size=(centres, DIMENSIONS)).astype(np.float32)
    out = np.empty((n, DIMENSIONS), np.float32)
    for start in range(0, n, 100_000):
        size = min(100_000, n - start)
        picks = rng.integers(0, centres, size)
        block = centre_vectors[picks] + 0.6 * rng.normal(size=(size, DIMENSIONS))
        out[start:start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> list[set]:
    truth = []
    for query in queries:
        scores = vectors @ query
        truth.append(set(np.argpartition(-scores, k - 1)[:k].tolist()))
    return truth


def uniform_vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    """Directions drawn uniformly: no structure at all, the hardest case for any graph index."""
    out = rng.normal(size=(n, DIMENSIONS)).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def kjv_vectors() -> np.ndarray:
    """MiniLM vectors of the 31,102 verses of the King James Bible (Debian's bible-kjv).

    Real embeddings of real text; computed once (several minutes) and cached.
    """
    import subprocess

    from inference import paths
    from inference.embedding import load_embedder

    cache = paths.cache_dir() / "bench-kjv-minilm.npy"
    if cache.exists():
        return np.load(cache)
    listing = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], capture_output=True,
                             text=True, check=True).stdout
    verses = [line.split(" ", 1)[1] for line in listing.splitlines() if " " in line]
    embedder = load_embedder()
    vectors = np.concatenate([embedder.embed(verses[i:i + 256]).vectors
                              for i in range(0, len(verses), 256)])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def bench_vectors(n: int, seed: int = 0, data: str = "clustered") -> dict:
    import hnswlib

    from pipelines.library.vector_index import HnswParams

    params = HnswParams()
    rng = np.random.default_rng(seed)
    if data == "kjv":
        points = kjv_vectors()
        points = points[rng.permutation(len(points))]
        n = len(points) - QUERIES
    elif data == "clustered":
        points = clustered_vectors(n + QUERIES, rng)
    else:
        points = uniform_vectors(n + QUERIES, rng)
    vectors, queries = points[:n], points[n:]
    truth = exact_top(vectors, queries, 10)

    process = psutil.Process()
    rss_before = process.memory_info().rss
    index = hnswlib.Index(space="cosine", dim=DIMENSIONS)
    index.init_index(max_elements=n, ef_construction=params.ef_construction, M=params.m)
    index.set_num_threads(os.cpu_count() or 1)
    started = time.perf_counter()
    index.add_items(vectors, np.arange(n))
    build_s = time.perf_counter() - started
    rss_growth = process.memory_info().rss - rss_before

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index.hnsw"
        index.save_index(str(path))
        size_bytes = path.stat().st_size

    result = {"n": n, "data": data, "build_s": round(build_s, 1),
              "index_bytes_per_million": int(size_bytes / n * 1e6),
              "build_rss_growth_bytes_per_million": int(rss_growth / n * 1e6),
              "float32_vectors_bytes_per_million": DIMENSIONS * 4 * 1_000_000,
              "by_ef": [_at_ef(index, queries, truth, ef) for ef in EF_VALUES],
              "exact_median_ms": _exact_ms(vectors, queries[:50])}
    return result


def _at_ef(index, queries: np.ndarray, truth: list[set], ef: int) -> dict:
    index.set_ef(ef)
    times, found = [], 0
    for query, expected in zip(queries, truth):
        started = time.perf_counter()
        labels, _ = index.knn_query(query.reshape(1, -1), k=10, num_threads=1)
        times.append((time.perf_counter() - started) * 1000)
        found += len(expected & set(labels[0].tolist()))
    return {"ef": ef, "recall_at_10": round(found / (10 * len(queries)), 4),
            "median_ms": round(statistics.median(times), 3),
            "p95_ms": round(float(np.percentile(times, 95)), 3)}


def _exact_ms(vectors: np.ndarray, queries: np.ndarray) -> float:
    times = []
    for query in queries:
        started = time.perf_counter()
        scores = vectors @ query
        np.argpartition(-scores, 9)[:10]
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 vectors "
                                                               "(about 40 min here)")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--data", choices=["clustered", "uniform", "kjv"], default="clustered",
                        help="synthetic vectors around centres (default), uniform directions, "
                             "or real MiniLM vectors of the KJV Bible's verses (needs the "
                             "Debian package bible-kjv; --sizes is then ignored)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()

    results = {}
    if not args.skip_ingest:
        results["ingest"] = bench_ingest()
        print(json.dumps(results["ingest"]), flush=True)
    sizes = [0] if args.data == "kjv" else args.sizes + ([1_000_000] if args.million else [])
    results["vectors"] = []
    for n in sizes:
        results["vectors"].append(bench_vectors(n, data=args.data))
        print(json.dumps(results["vectors"][-1]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
