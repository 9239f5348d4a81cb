"""A named document library on disk: the one object the CLI and the GUI talk to."""

import logging
import re
import threading
from pathlib import Path
from typing import Iterator

import numpy as np

from inference import paths
from inference.errors import GlassboxError, InvalidSettingError
from pipelines.documents.chunking import ChunkOptions
from pipelines.documents.readers import DocumentText
from pipelines.library.ingest import (SKIPPED, FileReport, Ingest, IngestPlan, IngestProgress,
                                      expand_paths)
from pipelines.library.lock import WAITING, WriteLock
from pipelines.library.search import Hit, SearchOptions, hybrid_search
from pipelines.library.store import DocumentRecord, LibraryStore
from pipelines.library.vector_index import HnswParams, VectorIndex

log = logging.getLogger(__name__)

DEFAULT_NAME = "default"
_NAME_PATTERN = re.compile(r"^[\w][\w .-]{0,63}$")


def libraries_root() -> Path:
    """Where named libraries live: the platform's user data folder."""
    return paths.data_dir() / "libraries"


def library_names() -> list[str]:
    root = libraries_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "library.sqlite3").exists())


def library_folder(name: str = DEFAULT_NAME) -> Path:
    """The folder of the library called name (letters, digits, space, dot, dash)."""
    if not _NAME_PATTERN.match(name):
        raise InvalidSettingError(f"Library name {name!r} is not allowed; use letters, digits, "
                                  "spaces, dots and dashes (at most 64).")
    return libraries_root() / name


class Library:
    """Documents, chunks and embeddings (SQLite) plus the derived vector index (hnswlib)."""

    def __init__(self, folder: Path | None = None, *, params: HnswParams | None = None,
                 chunk_options: ChunkOptions | None = None, embedder=None,
                 read_only: bool = False) -> None:
        self.folder = Path(folder) if folder else library_folder()
        self._embedder = embedder
        self.chunk_options = chunk_options or ChunkOptions()
        from inference.embedding import MODEL_NAME

        self.store = LibraryStore(self.folder, dimensions=384, model=MODEL_NAME,
                                  read_only=read_only)
        self.index = VectorIndex(self.store, params)
        self._write_lock = threading.Lock()

    @property
    def embedder(self):
        """The sentence embedder, loaded on first use (listing needs no model)."""
        if self._embedder is None:
            from inference.embedding import load_embedder

            self._embedder = load_embedder()
        return self._embedder

    @property
    def read_only(self) -> bool:
        return self.store.read_only

    def close(self) -> None:
        self.index.save()
        self.store.close()

    # ------------------------------------------------------------------ ingest

    def add(self, paths: list[Path], *, cancel: threading.Event | None = None
            ) -> Iterator[FileReport | IngestProgress | IngestPlan]:
        """Add files and folders: the preflight plan, progress, and one FileReport per file."""
        self.store.require_writable("added")
        cancel = cancel or threading.Event()
        with self._write_lock:
            lock = WriteLock(self.folder)
            try:
                if not lock.try_acquire():
                    log.info("Waiting for the write lock of %s", self.folder)
                    yield IngestProgress(0, 0, "", WAITING)
                    if not lock.wait(cancel):
                        yield from _cancelled_while_waiting(paths)
                        return
                # Planned under the lock: files another process just added are "unchanged".
                yield from Ingest(self, paths, cancel=cancel).run()
            finally:
                lock.release()

    def add_all(self, paths: list[Path]) -> list[FileReport]:
        """add() without progress: the per-file reports only."""
        return [event for event in self.add(paths) if isinstance(event, FileReport)]

    def store_document(self, document: DocumentText, *, sha256: str, size_bytes: int,
                       mtime_ns: int, chunks, vectors: list[np.ndarray]) -> None:
        """Commit one document, then mirror the change into the vector index."""
        self.index.ensure()
        stacked = np.concatenate(vectors) if vectors else np.zeros((0, 384), np.float32)
        _, removed, added = self.store.replace_document(
            document, sha256=sha256, size_bytes=size_bytes, mtime_ns=mtime_ns, chunks=chunks,
            vectors=stacked)
        self.index.apply(removed=removed, added=added, vectors=stacked,
                         version=self.store.version)

    def remove(self, path_or_name: str) -> DocumentRecord:
        """Remove one document (by path, or by file name when that is unambiguous)."""
        self.store.require_writable("removed")
        record = self.find_document(path_or_name)
        with self._write_lock:
            lock = WriteLock(self.folder)
            if not lock.try_acquire():
                lock.release()
                raise GlassboxError(f"Another Glassbox process is adding to the library at "
                                    f"{self.folder}; nothing was removed. Try again when it "
                                    "has finished.")
            try:
                self.index.ensure()
                removed = self.store.remove_document(record.path) or []
                self.index.apply(removed=removed, added=[],
                                 vectors=np.zeros((0, 384), np.float32),
                                 version=self.store.version)
                self.index.save()
            finally:
                lock.release()
        return record

    def find_document(self, path_or_name: str) -> DocumentRecord:
        documents = self.store.documents()
        resolved = str(Path(path_or_name).expanduser().resolve())
        exact = [d for d in documents if d.path in (path_or_name, resolved)]
        by_name = [d for d in documents if d.name == path_or_name]
        matches = exact or by_name
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise GlassboxError(f"No document {path_or_name!r} in the library at {self.folder}; "
                                "see `glassbox library list`.")
        raise GlassboxError(f"{len(matches)} documents are called {path_or_name!r}; give the "
                            "full path instead.")

    def set_params(self, params: HnswParams) -> bool:
        """New HNSW settings; True if the graph had to be rebuilt (M or ef_construction)."""
        with self._write_lock:
            old = self.index.params
            if (old.m, old.ef_construction) == (params.m, params.ef_construction):
                self.index.set_ef(params.ef)
                return False
            self.index = VectorIndex(self.store, params)
            self.index.rebuilt_reason = "the HNSW settings changed"
            self.index.rebuild()
            return True

    # ------------------------------------------------------------------ reading

    def documents(self) -> list[DocumentRecord]:
        return self.store.documents()

    def chunk_ids_of(self, document_ids) -> set[int]:
        return {c.id for d in document_ids for c in self.store.document_chunks(int(d))}

    def search(self, query: str, options: SearchOptions | None = None) -> list[Hit]:
        """Hybrid search; an empty query or library gives a clear error or no hits."""
        if not query.strip():
            raise InvalidSettingError("The search query is empty; type a few words.")
        return hybrid_search(self, query, options or SearchOptions())

    def stats(self) -> dict:
        """Sizes and health of the library, for `library stats` and the tab's header."""
        totals = self.store.totals()
        index_path = self.folder / "index.hnsw"
        db_bytes = sum(p.stat().st_size for p in self.folder.glob("library.sqlite3*"))
        return {
            "library": str(self.folder), **totals,
            "database_bytes": db_bytes,
            "index_bytes": index_path.stat().st_size if index_path.exists() else 0,
            "index": {"m": self.index.params.m,
                      "ef_construction": self.index.params.ef_construction,
                      "ef": self.index.params.ef},
            "version": self.store.version,
            "read_only": self.store.read_only,
        }


def _cancelled_while_waiting(paths: list[Path]) -> Iterator[FileReport]:
    for path in expand_paths(paths):
        yield FileReport(str(path), SKIPPED, message="cancelled while waiting for another "
                         "Glassbox process to finish adding; add it again")
