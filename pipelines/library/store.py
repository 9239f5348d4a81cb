"""The library's source of truth: documents, chunks, offsets and embeddings in SQLite (WAL)."""

import fcntl
import json
import logging
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from inference.errors import GlassboxError
from pipelines.documents.chunking import Chunk
from pipelines.documents.readers import DocumentText

log = logging.getLogger(__name__)

OPEN_LOCK_NAME = "open.lock"
DB_NAME = "library.sqlite3"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    pages INTEGER NOT NULL,
    chunk_count INTEGER NOT NULL,
    token_count INTEGER NOT NULL,
    encoding TEXT NOT NULL,
    notes TEXT NOT NULL,
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS document_texts (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    pages TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    page_start INTEGER NOT NULL,
    page_end INTEGER NOT NULL,
    token_count INTEGER NOT NULL,
    text TEXT NOT NULL,
    embedding BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document_id, idx);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
"""


@dataclass(frozen=True)
class DocumentRecord:
    """One document row: where it came from and what it became."""

    id: int
    path: str
    name: str
    format: str
    size_bytes: int
    mtime_ns: int
    sha256: str
    pages: int
    chunk_count: int
    token_count: int
    encoding: str
    notes: str
    added_at: float


@dataclass(frozen=True)
class ChunkRecord:
    """One stored chunk with its document's path and name."""

    id: int
    document_id: int
    index: int
    start: int
    end: int
    page_start: int
    page_end: int
    token_count: int
    text: str
    path: str
    name: str


@contextmanager
def _opening(folder: Path, read_only: bool) -> Iterator[None]:
    """Hold LIBRARY/open.lock while a connection switches to WAL and creates the schema.

    Two processes opening a new library at the same moment would otherwise both try to
    switch the journal mode, and SQLite answers one of them "database is locked" at once,
    without waiting. The lock is held for milliseconds, unlike the writer's lock.
    """
    if read_only:
        yield
        return
    descriptor = os.open(folder / OPEN_LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing the file releases the lock


def make_library_folder(folder: Path) -> None:
    """Create a library folder (and its parents), or say clearly why it cannot be one."""
    if folder.exists() and not folder.is_dir():
        raise GlassboxError(f"{folder} is a file, not a library folder; choose a folder "
                            "with --library (a new one is created for you).")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise GlassboxError(f"Cannot create the library folder {folder}: {error.strerror}; "
                            "choose another folder with --library.") from None


class LibraryStore:
    """SQLite access for one library folder; every write is one transaction.

    A folder that cannot be written (a read-only mount, a CD, someone else's files) is opened
    read-only: listing, search and answers work, writes raise ReadOnlyLibraryError.
    """

    def __init__(self, folder: Path, *, dimensions: int, model: str,
                 read_only: bool = False) -> None:
        self.folder = Path(folder)
        self.dimensions = dimensions
        self.path = self.folder / DB_NAME
        self.read_only = read_only or (self.path.exists() and not folder_writable(self.folder))
        if not self.read_only:
            make_library_folder(self.folder)
        with _opening(self.folder, self.read_only):
            self._db = self._connect_read_only() if self.read_only else self._connect()
            try:
                if self.read_only:
                    self._check_read_only(model)
                else:
                    self._init_schema(model)
            except BaseException:
                self._db.close()
                raise

    def _connect(self) -> sqlite3.Connection:
        db = None
        try:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                 check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            # NORMAL with WAL survives a killed process; only a power cut can lose the last
            # commits, and the database stays consistent either way.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            return db
        except sqlite3.DatabaseError as error:
            if db is not None:
                db.close()
            raise open_error(self.path, error) from error

    def _connect_read_only(self) -> sqlite3.Connection:
        """mode=ro when SQLite can share the WAL; immutable=1 when it cannot even do that."""
        last = None
        for flags in ("mode=ro", "mode=ro&immutable=1"):
            db = None
            try:
                db = sqlite3.connect(f"{self.path.absolute().as_uri()}?{flags}", uri=True,
                                     timeout=30, isolation_level=None, check_same_thread=False)
                db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
                log.info("Opened the library %s read-only (%s)", self.folder, flags)
                return db
            except sqlite3.DatabaseError as error:
                if db is not None:
                    db.close()  # an open handle would keep the folder (a mount) busy
                last = error
                if _is_damage(error):
                    break
        raise open_error(self.path, last) from last

    def _check_read_only(self, model: str) -> None:
        try:
            self._check_meta(self._db, model)
        except sqlite3.DatabaseError as error:
            raise open_error(self.path, error) from error

    def require_writable(self, action: str) -> None:
        """Raise a clear error before any change to a library opened read-only."""
        if self.read_only:
            raise ReadOnlyLibraryError(
                f"The library folder {self.folder} is read-only, so nothing was {action}; "
                "the library and your documents are untouched. Search and ask still work; "
                "to change it, copy the folder somewhere writable or mount it read-write.")

    def _init_schema(self, model: str) -> None:
        try:
            with self.transaction() as db:
                for statement in _split_script(_SCHEMA):
                    db.execute(statement)
                self._check_meta(db, model)
        except sqlite3.DatabaseError as error:
            raise open_error(self.path, error) from error

    def _check_meta(self, db: sqlite3.Connection, model: str) -> None:
        meta = dict(db.execute("SELECT key, value FROM meta"))
        if not meta and self.read_only:
            raise GlassboxError(f"The library in {self.folder} is read-only and was never "
                                "finished (it has no settings); add documents to it from a "
                                "writable folder first.")
        if not meta:
            db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("schema", str(SCHEMA_VERSION)), ("model", model),
                ("dimensions", str(self.dimensions)), ("version", "0")])
            return
        if meta.get("model") != model or int(meta.get("dimensions", 0)) != self.dimensions:
            raise GlassboxError(f"The library in {self.folder} was built with the embedding "
                                f"model {meta.get('model')}, not {model}; use another "
                                "library folder for this model.")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error (or a kill: WAL discards it)."""
        self.require_writable("changed")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    # ------------------------------------------------------------------ reading

    @property
    def version(self) -> int:
        """Increases with every committed change of the chunks; the index records it."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return int(row[0])

    def documents(self) -> list[DocumentRecord]:
        rows = self._db.execute(f"SELECT {_DOC_COLUMNS} FROM documents ORDER BY name, id")
        return [DocumentRecord(*row) for row in rows]

    def document_by_path(self, path: str) -> DocumentRecord | None:
        row = self._db.execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE path = ?",
                               (path,)).fetchone()
        return DocumentRecord(*row) if row else None

    def document(self, document_id: int) -> DocumentRecord | None:
        row = self._db.execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE id = ?",
                               (document_id,)).fetchone()
        return DocumentRecord(*row) if row else None

    def document_text(self, document_id: int) -> tuple[str, list[tuple[int, int, int]]]:
        """The full text of a document and its pages as (number, start, end)."""
        row = self._db.execute("SELECT text, pages FROM document_texts WHERE document_id = ?",
                               (document_id,)).fetchone()
        if row is None:
            raise GlassboxError(f"Document {document_id} is not in the library.")
        return row[0], [tuple(page) for page in json.loads(row[1])]

    def chunks(self, ids: list[int]) -> dict[int, ChunkRecord]:
        """Chunks by id (missing ids are left out)."""
        found = {}
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(f"{_CHUNK_SELECT} WHERE c.id IN ({marks})", part)
            found.update({row[0]: ChunkRecord(*row) for row in rows})
        return found

    def document_chunks(self, document_id: int) -> list[ChunkRecord]:
        rows = self._db.execute(f"{_CHUNK_SELECT} WHERE c.document_id = ? ORDER BY c.idx",
                                (document_id,))
        return [ChunkRecord(*row) for row in rows]

    def embeddings(self, ids: list[int]) -> np.ndarray:
        """Stored unit vectors [len(ids), dimensions] in the order of ids."""
        by_id = {}
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(f"SELECT id, embedding FROM chunks WHERE id IN ({marks})",
                                    part)
            by_id.update({row[0]: row[1] for row in rows})
        vectors = np.zeros((len(ids), self.dimensions), np.float32)
        for row, chunk_id in enumerate(ids):
            vectors[row] = np.frombuffer(by_id[chunk_id], np.float32)
        return vectors

    def iter_embeddings(self, *, after_id: int = 0, batch: int = 20000
                        ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) in id order, in batches, for building the index."""
        last = after_id
        while True:
            rows = self._db.execute("SELECT id, embedding FROM chunks WHERE id > ? "
                                    "ORDER BY id LIMIT ?", (last, batch)).fetchall()
            if not rows:
                return
            ids = np.fromiter((row[0] for row in rows), np.int64, len(rows))
            vectors = np.frombuffer(b"".join(row[1] for row in rows), np.float32)
            yield ids, vectors.reshape(len(rows), self.dimensions)
            last = int(ids[-1])

    def chunk_stats(self) -> tuple[int, int]:
        """(number of chunks, largest chunk id)."""
        row = self._db.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM chunks").fetchone()
        return int(row[0]), int(row[1])

    def count_chunks_upto(self, chunk_id: int) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM chunks WHERE id <= ?", (chunk_id,))
        return int(row.fetchone()[0])

    def keyword_search(self, query: str, *, limit: int,
                       document_ids: list[int] | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score, higher is better) for chunks sharing a content word."""
        from pipelines.library.keywords import bm25_search

        return bm25_search(self._db, query, limit=limit, document_ids=document_ids)

    def totals(self) -> dict:
        docs, pages, tokens = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(pages), 0), COALESCE(SUM(token_count), 0) "
            "FROM documents").fetchone()
        chunks, _ = self.chunk_stats()
        return {"documents": docs, "pages": pages, "chunks": chunks, "tokens": tokens}

    # ------------------------------------------------------------------ writing

    def replace_document(self, document: DocumentText, *, sha256: str, size_bytes: int,
                         mtime_ns: int, chunks: list[Chunk],
                         vectors: np.ndarray) -> tuple[int, list[int], list[int]]:
        """Store a document and its chunks in one transaction, replacing any older version.

        Returns (document id, ids of the chunks removed, ids of the chunks added).
        """
        path = str(document.path)
        with self.transaction() as db:
            removed = self._delete_document(db, path) or []
            document_id = self._insert_document(db, document, sha256, size_bytes, mtime_ns,
                                                chunks)
            added = self._insert_chunks(db, document_id, chunks, vectors)
            self._bump_version(db)
        return document_id, removed, added

    def _insert_document(self, db, document: DocumentText, sha256: str, size_bytes: int,
                         mtime_ns: int, chunks: list[Chunk]) -> int:
        cursor = db.execute(
            "INSERT INTO documents (path, name, format, size_bytes, mtime_ns, sha256, pages, "
            "chunk_count, token_count, encoding, notes, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (str(document.path), document.path.name, document.format, size_bytes, mtime_ns,
             sha256, len(document.pages), len(chunks), sum(c.token_count for c in chunks),
             document.encoding, "; ".join(document.notes), time.time()))
        document_id = int(cursor.lastrowid)
        pages = [[page.number, page.start, page.end] for page in document.pages]
        db.execute("INSERT INTO document_texts VALUES (?, ?, ?)",
                   (document_id, document.text, json.dumps(pages)))
        return document_id

    def _insert_chunks(self, db, document_id: int, chunks: list[Chunk],
                       vectors: np.ndarray) -> list[int]:
        ids = []
        for chunk, vector in zip(chunks, vectors):
            cursor = db.execute(
                "INSERT INTO chunks (document_id, idx, start, end, page_start, page_end, "
                "token_count, text, embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (document_id, chunk.index, chunk.start, chunk.end, chunk.page_start,
                 chunk.page_end, chunk.token_count, chunk.text,
                 np.ascontiguousarray(vector, np.float32).tobytes()))
            ids.append(int(cursor.lastrowid))
        return ids

    def update_mtime(self, document_id: int, mtime_ns: int) -> None:
        """Remember a new modification time for a file whose content did not change."""
        with self.transaction() as db:
            db.execute("UPDATE documents SET mtime_ns = ? WHERE id = ?", (mtime_ns, document_id))

    def remove_document(self, path: str) -> list[int] | None:
        """Delete a document and its chunks; the removed chunk ids, None if it was not there."""
        with self.transaction() as db:
            removed = self._delete_document(db, path)
            if removed is not None:
                self._bump_version(db)
        return removed

    def _delete_document(self, db, path: str) -> list[int] | None:
        row = db.execute("SELECT id FROM documents WHERE path = ?", (path,)).fetchone()
        if row is None:
            return None
        ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE document_id = ?", row)]
        db.execute("DELETE FROM chunks WHERE document_id = ?", row)
        db.execute("DELETE FROM document_texts WHERE document_id = ?", row)
        db.execute("DELETE FROM documents WHERE id = ?", row)
        return ids

    def _bump_version(self, db) -> None:
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")


_DOC_COLUMNS = ("id, path, name, format, size_bytes, mtime_ns, sha256, pages, chunk_count, "
                "token_count, encoding, notes, added_at")
_CHUNK_SELECT = ("SELECT c.id, c.document_id, c.idx, c.start, c.end, c.page_start, c.page_end, "
                 "c.token_count, c.text, d.path, d.name FROM chunks c "
                 "JOIN documents d ON d.id = c.document_id")


class ReadOnlyLibraryError(GlassboxError):
    """A change was asked of a library whose folder cannot be written."""


def folder_writable(folder: Path) -> bool:
    """Can the database and its WAL be written there? (access() says EROFS even for root.)"""
    database = Path(folder) / DB_NAME
    return os.access(folder, os.W_OK) and (not database.exists()
                                          or os.access(database, os.W_OK))


_DAMAGE_WORDS = ("not a database", "malformed", "corrupt")


def _is_damage(error: Exception) -> bool:
    return any(word in str(error).lower() for word in _DAMAGE_WORDS)


def open_error(path: Path, error: Exception) -> GlassboxError:
    """One sentence for a database that failed to open; only real damage says move it away."""
    if _is_damage(error):
        return GlassboxError(f"The library database {path} is damaged ({error}); move it "
                             "away and add the documents again.")
    return GlassboxError(f"The library database {path} cannot be opened ({error}); check "
                         "that you may read that folder and its files (the database itself "
                         "was not changed).")


def _split_script(script: str) -> list[str]:
    """Statements of the schema (triggers hold semicolons, so split on END; too)."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        text = "\n".join(current).strip()
        if text.endswith(";") and (not text.upper().startswith("CREATE TRIGGER")
                                   or text.upper().endswith("END;")):
            statements.append(text)
            current = []
    return statements


def fts_query(query: str) -> str:
    """An FTS5 query matching any content word of the query, with no FTS5 syntax let through."""
    from pipelines.library.keywords import query_words

    return " OR ".join(f'"{word}"' for word in query_words(query))
