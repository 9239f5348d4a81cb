"""Add files and folders to a library: preflight, read, chunk, embed, store, report per file."""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from inference.errors import CancelledError, GlassboxError, InputFileError
from pipelines.documents.chunking import ChunkOptions, chunk_document
from pipelines.documents.readers import read_document, supported

log = logging.getLogger(__name__)

EMBED_GROUP = 64  # chunks embedded between progress reports and cancel checks
SAVE_EVERY_S = 15.0

ADDED, UPDATED, UNCHANGED, SKIPPED, FAILED = "added", "updated", "unchanged", "skipped", "failed"


@dataclass
class FileReport:
    """What happened to one file: status is added, updated, unchanged, skipped or failed."""

    path: str
    status: str
    chunks: int = 0
    message: str = ""
    seconds: float = 0.0

    def as_json(self) -> dict:
        return {"path": self.path, "status": self.status, "chunks": self.chunks,
                "message": self.message}


@dataclass
class IngestProgress:
    """Where a running ingest is: file n of m, and chunks embedded in the current file."""

    file_number: int
    file_count: int
    path: str
    stage: str
    chunks_done: int = 0
    chunks_total: int = 0


@dataclass
class IngestPlan:
    """The preflight: how many files are new, changed, unchanged, unsupported or missing."""

    counts: dict[str, int]

    def summary(self) -> str:
        total = sum(self.counts.values())
        parts = ", ".join(f"{n} {label}" for label, n in self.counts.items() if n)
        noun = "file" if total == 1 else "files"
        return f"{total} {noun}: {parts}" if total else "no files found"


@dataclass
class Planned:
    path: Path
    action: str  # "new", "changed" or a final FileReport status
    message: str = ""
    sha256: str = ""


def expand_paths(paths: list[Path]) -> Iterator[Path]:
    """Files named directly, and the files under named folders (hidden ones left out)."""
    for path in paths:
        path = Path(path).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and not any(part.startswith(".") for part in relative):
                    yield child.resolve()
        else:
            yield path.resolve() if path.exists() else path.absolute()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Ingest:
    """One add operation over many files; iterate run() for progress and reports."""

    def __init__(self, library, paths: list[Path], *, cancel: threading.Event | None = None,
                 chunk_options: ChunkOptions | None = None) -> None:
        self.library = library
        self.paths = list(paths)
        self.cancel = cancel or threading.Event()
        self.chunk_options = chunk_options or library.chunk_options
        self._last_save = time.monotonic()

    def preflight(self) -> list[Planned]:
        """What would happen to each file, without reading more than needed to tell."""
        return [self._plan(path) for path in expand_paths(self.paths)]

    def _plan(self, path: Path) -> Planned:
        if not path.exists():
            return Planned(path, FAILED, f"{path} does not exist; check the path.")
        if not supported(path):
            return Planned(path, SKIPPED, f"{path.suffix or 'no extension'}: not a supported "
                                          "format (PDF, DOCX, TXT, MD, RST, HTML, CSV).")
        record = self.library.store.document_by_path(str(path))
        if record is None:
            return Planned(path, "new")
        stat = path.stat()
        if stat.st_size == record.size_bytes and stat.st_mtime_ns == record.mtime_ns:
            return Planned(path, UNCHANGED, "already in the library, unchanged")
        digest = sha256_of(path)
        if digest == record.sha256:
            self.library.store.update_mtime(record.id, stat.st_mtime_ns)
            return Planned(path, UNCHANGED, "already in the library, unchanged (same content)")
        return Planned(path, "changed", sha256=digest)

    def run(self) -> Iterator[FileReport | IngestProgress | IngestPlan]:
        """Process every file; one bad file is reported and never stops the batch."""
        plans = self.preflight()
        yield _plan_summary(plans)
        try:
            for number, plan in enumerate(plans, start=1):
                if self.cancel.is_set():
                    yield FileReport(str(plan.path), SKIPPED, message="cancelled before it "
                                     "was indexed; add it again to finish")
                    continue
                yield IngestProgress(number, len(plans), str(plan.path), "reading")
                yield from self._process(plan, number, len(plans))
        finally:
            self.library.index.save()

    def _process(self, plan: Planned, number: int, count: int
                 ) -> Iterator[FileReport | IngestProgress]:
        if plan.action not in ("new", "changed"):
            yield FileReport(str(plan.path), plan.action, message=plan.message)
            return
        started = time.perf_counter()
        try:
            chunks = yield from self._index_file(plan, number, count)
        except (CancelledError, InputFileError) as error:
            # The file itself cannot be used (empty, damaged, encrypted...) or was cancelled.
            yield FileReport(str(plan.path), SKIPPED, message=str(error))
            return
        except GlassboxError as error:
            yield FileReport(str(plan.path), FAILED, message=str(error))
            return
        except Exception as error:  # noqa: BLE001 - one unexpected failure must not end a batch
            log.exception("Unexpected failure adding %s", plan.path)
            yield FileReport(str(plan.path), FAILED, message=f"unexpected {type(error).__name__}"
                             f": {error}; the details are in the log")
            return
        status = ADDED if plan.action == "new" else UPDATED
        yield FileReport(str(plan.path), status, len(chunks),
                         seconds=time.perf_counter() - started)

    def _index_file(self, plan: Planned, number: int, count: int):
        path = plan.path
        stat = path.stat()
        digest = plan.sha256 or sha256_of(path)
        document = read_document(path)
        embedder = self.library.embedder
        chunks = chunk_document(document, count_tokens=embedder.content_token_counts,
                                token_starts=embedder.token_starts,
                                options=self.chunk_options)

        vectors = []
        for start in range(0, len(chunks), EMBED_GROUP):
            if self.cancel.is_set():
                raise CancelledError(f"cancelled while embedding {path.name}; add it again "
                                     "to finish")
            group = chunks[start:start + EMBED_GROUP]
            vectors.append(embedder.embed([chunk.text for chunk in group]).vectors)
            yield IngestProgress(number, count, str(path), "embedding",
                                 start + len(group), len(chunks))

        self.library.store_document(document, sha256=digest, size_bytes=stat.st_size,
                                    mtime_ns=stat.st_mtime_ns, chunks=chunks, vectors=vectors)
        if time.monotonic() - self._last_save > SAVE_EVERY_S:
            self.library.index.save()
            self._last_save = time.monotonic()
        return chunks


def _plan_summary(plans: list[Planned]) -> IngestPlan:
    labels = {"new": "new", "changed": "changed", UNCHANGED: "unchanged",
              SKIPPED: "unsupported", FAILED: "missing"}
    counts = {label: 0 for label in labels.values()}
    for plan in plans:
        counts[labels[plan.action]] += 1
    return IngestPlan(counts)
