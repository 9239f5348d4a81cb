"""The hnswlib index derived from the store: saved atomically, grown on demand, self-healing."""

import hashlib
import json
import logging
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from inference.errors import InvalidSettingError
from pipelines.library.store import LibraryStore

log = logging.getLogger(__name__)

INDEX_NAME = "index.hnsw"
INFO_NAME = "index.json"
MIN_CAPACITY = 1024
# Above this size only the first and last megabyte are hashed, so opening stays fast.
FULL_HASH_LIMIT = 512 * 1024 * 1024


@dataclass(frozen=True)
class HnswParams:
    """HNSW graph settings: M and ef_construction shape the graph, ef is per query."""

    m: int = 16
    ef_construction: int = 200
    ef: int = 200

    def __post_init__(self) -> None:
        _check_range("M", self.m, 2, 128, "16 suits most libraries")
        _check_range("ef_construction", self.ef_construction, 10, 2000,
                     "200 gives a good graph")
        _check_range("ef", self.ef, 1, 5000, "200 gives recall@10 of 0.98 or more here")


def _check_range(name: str, value: int, low: int, high: int, advice: str) -> None:
    if not low <= value <= high:
        raise InvalidSettingError(f"HNSW {name} {value} is outside {low}-{high}; {advice}.")


class VectorIndex:
    """Cosine nearest-neighbour search over chunk ids, kept in step with a LibraryStore."""

    def __init__(self, store: LibraryStore, params: HnswParams | None = None,
                 *, threads: int = 0) -> None:
        self.store = store
        self.params = params or HnswParams()
        self.threads = threads or os.cpu_count() or 1
        self.folder = store.folder
        self._index = None
        self._live = 0
        self._max_id = 0
        self._version = -1
        self._dirty = False
        self._lock = threading.RLock()
        self.rebuilt_reason = ""

    # ------------------------------------------------------------- lifecycle

    def ensure(self) -> None:
        """Make the in-memory index match the store: load, catch up or rebuild."""
        with self._lock:
            if self._index is not None and self._version == self.store.version:
                return
            if self._index is None and not self._load():
                self.rebuild()
                return
            self._catch_up()

    def _load(self) -> bool:
        info = self._read_info()
        if info is None:
            return False
        import hnswlib

        index = hnswlib.Index(space="cosine", dim=self.store.dimensions)
        try:
            index.load_index(str(self.folder / INDEX_NAME),
                             max_elements=max(info["capacity"], MIN_CAPACITY))
        except (RuntimeError, OSError, MemoryError) as error:
            self.rebuilt_reason = f"the index file could not be loaded ({error})"
            return False
        index.set_ef(self.params.ef)
        index.set_num_threads(self.threads)
        self._index, self._live = index, info["live"]
        self._max_id, self._version = info["max_id"], info["version"]
        return True

    def _read_info(self) -> dict | None:
        """The saved index's description, or None (with the reason) if it cannot be used."""
        info_path, index_path = self.folder / INFO_NAME, self.folder / INDEX_NAME
        if not index_path.exists() or not info_path.exists():
            self.rebuilt_reason = "there was no index file"
            return None
        try:
            info = json.loads(info_path.read_text())
        except (OSError, json.JSONDecodeError):
            self.rebuilt_reason = "the index description was unreadable"
            return None
        problem = self._info_problem(info, index_path)
        if problem:
            self.rebuilt_reason = problem
            return None
        return info

    def _info_problem(self, info: dict, index_path: Path) -> str:
        wanted = {"m": self.params.m, "ef_construction": self.params.ef_construction,
                  "dimensions": self.store.dimensions}
        if any(info.get(key) != value for key, value in wanted.items()):
            return "the HNSW settings changed"
        if info.get("size_bytes") != index_path.stat().st_size:
            return "the index file has the wrong size (damaged or half-written)"
        if info.get("checksum") != file_checksum(index_path):
            return "the index file is corrupt (checksum mismatch)"
        return ""

    def _catch_up(self) -> None:
        """Add chunks stored after the index was saved, if nothing older changed meanwhile."""
        if self.store.count_chunks_upto(self._max_id) != self._live:
            self.rebuilt_reason = "documents were removed or replaced since it was saved"
            self.rebuild()
            return
        version = self.store.version
        added = 0
        for ids, vectors in self.store.iter_embeddings(after_id=self._max_id):
            self._add(ids, vectors)
            added += len(ids)
        self._version = version
        if added:
            log.info("Index caught up with %d new chunk(s)", added)
            self._dirty = True
            self.save()

    def rebuild(self) -> None:
        """Build the index again from every embedding in the store, then save it."""
        import hnswlib

        with self._lock:
            total, _ = self.store.chunk_stats()
            log.info("Rebuilding the vector index from %d stored chunk(s): %s", total,
                     self.rebuilt_reason or "asked to")
            version = self.store.version
            index = hnswlib.Index(space="cosine", dim=self.store.dimensions)
            index.init_index(max_elements=max(MIN_CAPACITY, int(total * 1.25)),
                             ef_construction=self.params.ef_construction, M=self.params.m)
            index.set_ef(self.params.ef)
            index.set_num_threads(self.threads)
            self._index, self._live, self._max_id = index, 0, 0
            for ids, vectors in self.store.iter_embeddings():
                self._add(ids, vectors)
            self._version = version
            self._dirty = True
            self.save()

    # --------------------------------------------------------------- changes

    def apply(self, *, removed: list[int], added: list[int], vectors: np.ndarray,
              version: int) -> None:
        """Mirror one committed store change (a document replaced, added or removed)."""
        with self._lock:
            if self._index is None or self._version + 1 != version:
                self.ensure()  # someone else changed the store too: resync from it
                return
            for chunk_id in removed:
                self._remove(chunk_id)
            if added:
                self._add(np.asarray(added, np.int64), vectors)
            self._version = version
            self._dirty = True

    def _add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        needed = self._index.get_current_count() + len(ids)
        capacity = self._index.get_max_elements()
        if needed > capacity:
            # Grow geometrically: no fixed maximum, and few costly resizes.
            self._index.resize_index(max(needed, int(capacity * 1.5)))
        self._index.add_items(vectors, ids, num_threads=self.threads)
        self._live += len(ids)
        self._max_id = max(self._max_id, int(ids.max()))

    def _remove(self, chunk_id: int) -> None:
        try:
            self._index.mark_deleted(int(chunk_id))
            self._live -= 1
        except RuntimeError:
            log.debug("Chunk %d was not in the index", chunk_id)

    def save(self) -> None:
        """Write the index and its description atomically (temporary file, then rename)."""
        with self._lock:
            if self._index is None or not self._dirty:
                return
            if self.store.read_only:
                # A read-only library keeps a rebuilt index in memory only.
                return
            index_path = self.folder / INDEX_NAME
            partial = self.folder / (INDEX_NAME + ".partial")
            self._index.save_index(str(partial))
            _fsync(partial)
            info = {**asdict(self.params), "dimensions": self.store.dimensions,
                    "live": self._live, "max_id": self._max_id, "version": self._version,
                    "capacity": self._index.get_max_elements(),
                    "size_bytes": partial.stat().st_size, "checksum": file_checksum(partial)}
            info.pop("ef")
            # The description is replaced last-but-one and names the new file's checksum, so
            # a kill between the two renames is caught as a checksum mismatch.
            _write_atomically(self.folder / INFO_NAME, json.dumps(info, indent=2))
            os.replace(partial, index_path)
            self._dirty = False

    # ---------------------------------------------------------------- queries

    @property
    def count(self) -> int:
        return self._live

    def set_ef(self, ef: int) -> None:
        _check_range("ef", ef, 1, 5000, "200 gives recall@10 of 0.98 or more here")
        with self._lock:
            self.params = HnswParams(self.params.m, self.params.ef_construction, ef)
            if self._index is not None:
                self._index.set_ef(ef)

    def query(self, vector: np.ndarray, k: int, *, allowed: set[int] | None = None,
              ef: int | None = None) -> list[tuple[int, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks, best first."""
        self.ensure()
        with self._lock:
            k = min(k, self._live)
            if k <= 0:
                return []
            if ef is not None:
                self._index.set_ef(max(ef, k))
            elif self.params.ef < k:
                self._index.set_ef(k)
            try:
                labels, distances = self._knn(vector, k, allowed)
            except RuntimeError:
                # hnswlib gives up when a filter or many deleted nodes leave it short of k
                # results; exact search over the stored vectors always answers.
                log.info("HNSW could not return %d results; using exact search", k)
                return self._exact(vector, k, allowed)
            finally:
                self._index.set_ef(self.params.ef)
        return [(int(label), 1.0 - float(distance))
                for label, distance in zip(labels[0], distances[0])]

    def _exact(self, vector: np.ndarray, k: int, allowed: set[int] | None
               ) -> list[tuple[int, float]]:
        best: list[tuple[int, float]] = []
        for ids, vectors in self.store.iter_embeddings():
            if allowed is not None:
                keep = np.isin(ids, np.fromiter(allowed, np.int64))
                ids, vectors = ids[keep], vectors[keep]
            scores = vectors @ np.asarray(vector, np.float32)
            best += list(zip(ids.tolist(), scores.tolist()))
            best = sorted(best, key=lambda pair: -pair[1])[:k]
        return best

    def _knn(self, vector: np.ndarray, k: int, allowed: set[int] | None):
        query = np.asarray(vector, np.float32).reshape(1, -1)
        if allowed is None:
            return self._index.knn_query(query, k=k, num_threads=1)
        k = min(k, len(allowed))
        if k == 0:
            return np.zeros((1, 0), np.int64), np.zeros((1, 0), np.float32)
        return self._index.knn_query(query, k=k, num_threads=1,
                                     filter=lambda label: label in allowed)


def file_checksum(path: Path) -> str:
    """sha256 of the file, or of its size, first and last megabyte when it is very large."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as stream:
        if size <= FULL_HASH_LIMIT:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        else:
            digest.update(stream.read(1 << 20))
            stream.seek(size - (1 << 20))
            digest.update(stream.read())
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with open(path, "rb") as stream:
        os.fsync(stream.fileno())


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(partial, path)
