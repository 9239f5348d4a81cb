"""`glassbox library add|list|remove|stats`, `glassbox search` and `glassbox ask`."""

import sys
from contextlib import closing
from pathlib import Path

from cli.app import print_json

STATUS_ORDER = ["added", "updated", "unchanged", "skipped", "failed"]


def plural(count: int, noun: str) -> str:
    """'1 chunk', '2 chunks', '1,200 tokens'."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def register(subparsers) -> None:
    library = subparsers.add_parser("library", help="manage the document library")
    actions = library.add_subparsers(dest="library_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add files or folders (PDF, DOCX, TXT, MD, RST, "
                                         "HTML, CSV)")
    add.add_argument("paths", nargs="+", metavar="PATH")
    _common(add)
    add.set_defaults(handler=add_documents)

    listing = actions.add_parser("list", help="list the documents in the library")
    _common(listing)
    listing.set_defaults(handler=list_documents)

    remove = actions.add_parser("remove", help="remove documents (by path or file name)")
    remove.add_argument("documents", nargs="+", metavar="DOCUMENT")
    _common(remove)
    remove.set_defaults(handler=remove_documents)

    stats = actions.add_parser("stats", help="sizes of the library and its index")
    _common(stats)
    stats.set_defaults(handler=show_stats)

    search = subparsers.add_parser("search", help="search the library by meaning and keywords")
    search.add_argument("query")
    search.add_argument("--k", type=int, default=5, help="number of results (default 5)")
    search.add_argument("--mmr", action="store_true", help="diversify results (MMR)")
    search.add_argument("--document", action="append", metavar="DOCUMENT",
                        help="only search this document (repeatable)")
    _common(search)
    search.set_defaults(handler=search_library)

    ask = subparsers.add_parser("ask", help="answer a question from the library, with "
                                            "citations")
    ask.add_argument("question")
    ask.add_argument("--k", type=int, default=5, help="passages to retrieve (default 5)")
    ask.add_argument("--no-generate", action="store_true",
                     help="only the extractive answer (highlighted sentences), no model")
    _common(ask)
    ask.set_defaults(handler=ask_library)


def _common(parser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--library", metavar="DIR", help="library folder (default: the "
                                                        "'default' library in the user data "
                                                        "folder)")
    where.add_argument("--name", metavar="NAME", help="a named library in the user data folder")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _open(args, *, create: bool = False):
    from inference.errors import GlassboxError
    from pipelines.library.library import Library, library_folder
    from pipelines.library.store import DB_NAME

    folder = Path(args.library).expanduser() if args.library else library_folder(
        args.name or "default")
    if not create and not (folder / DB_NAME).exists():
        raise GlassboxError(f"There is no library in {folder}; create it by adding documents: "
                            f"glassbox library add PATH --library \"{folder}\"")
    return Library(folder)


def add_documents(args) -> int:
    from pipelines.library.ingest import FileReport, IngestPlan, IngestProgress
    from pipelines.library.lock import WAITING

    library = _open(args, create=True)
    if library.read_only:
        library.close()
    library.store.require_writable("added")
    reports = []
    live = sys.stderr.isatty()  # a progress line only where a person watches
    try:
        for event in library.add([Path(p) for p in args.paths]):
            if isinstance(event, IngestPlan) and not args.json:
                print(f"plan: {event.summary()}", flush=True)
            if isinstance(event, IngestProgress) and event.stage == WAITING:
                print(WAITING, file=sys.stderr, flush=True)
            elif isinstance(event, IngestProgress) and live:
                print(f"\r\033[K[{event.file_number}/{event.file_count}] "
                      f"{Path(event.path).name}: {event.chunks_done}/{event.chunks_total} "
                      "chunks", end="", file=sys.stderr, flush=True)
            if isinstance(event, FileReport):
                if live:
                    print("\r\033[K", end="", file=sys.stderr, flush=True)
                reports.append(event)
                if not args.json:
                    _print_report(event)
    finally:
        library.close()
    if args.json:
        print_json([report.as_json() for report in reports])
    else:
        counts = {s: sum(r.status == s for r in reports) for s in STATUS_ORDER}
        print(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no files found")
    return 1 if any(report.status == "failed" for report in reports) else 0


def _print_report(report) -> None:
    detail = plural(report.chunks, "chunk") if report.status in ("added", "updated") else \
        report.message
    print(f"{report.status:9} {report.path}  {detail}", flush=True)


def list_documents(args) -> int:
    with closing(_open(args)) as library:
        documents = library.documents()
    if args.json:
        print_json([{"path": d.path, "name": d.name, "format": d.format, "pages": d.pages,
                     "chunks": d.chunk_count, "tokens": d.token_count,
                     "size_bytes": d.size_bytes, "encoding": d.encoding, "notes": d.notes}
                    for d in documents])
        return 0
    for d in documents:
        print(f"{d.name}  ({d.format}, {plural(d.pages, 'page')}, "
              f"{plural(d.chunk_count, 'chunk')})  {d.path}")
    if not documents:
        print(f"The library at {library.folder} is empty; add files with "
              "`glassbox library add PATH`.")
    return 0


def remove_documents(args) -> int:
    with closing(_open(args)) as library:
        removed = [library.remove(name) for name in args.documents]
    if args.json:
        print_json([{"path": r.path, "chunks": r.chunk_count} for r in removed])
    else:
        for record in removed:
            print(f"removed {record.path} ({plural(record.chunk_count, 'chunk')})")
    return 0


def show_stats(args) -> int:
    with closing(_open(args)) as library:
        stats = library.stats()
    if args.json:
        print_json(stats)
    else:
        print("\n".join(stats_lines(stats)))
    return 0


def stats_lines(stats: dict) -> list[str]:
    """library stats as readable lines."""
    index = stats["index"]
    return [
        f"library:   {stats['library']}",
        (f"contents:  {plural(stats['documents'], 'document')}, "
         f"{plural(stats['pages'], 'page')}, {plural(stats['chunks'], 'chunk')}, "
         f"{plural(stats['tokens'], 'token')}"),
        f"database:  {_size(stats['database_bytes'])}",
        (f"index:     {_size(stats['index_bytes'])} (HNSW M {index['m']}, ef_construction "
         f"{index['ef_construction']}, search ef {index['ef']})"),
        f"version:   {stats['version']} (committed changes)",
    ] + (["access:    read-only (search and ask work; add and remove do not)"]
         if stats.get("read_only") else [])


def _size(count: int) -> str:
    if count < 1024:
        return plural(count, "byte")
    for unit in ("KiB", "MiB", "GiB"):
        count /= 1024
        if count < 1024 or unit == "GiB":
            return f"{count:.1f} {unit}"
    return ""


def search_library(args) -> int:
    from pipelines.library.search import SearchOptions

    with closing(_open(args)) as library:
        documents = tuple(library.find_document(d).id for d in args.document or [])
        hits = library.search(args.query, SearchOptions(k=args.k, mmr=args.mmr,
                                                        document_ids=documents))
    if args.json:
        print_json([hit.as_json() for hit in hits])
        return 0
    for rank, hit in enumerate(hits, start=1):
        keyword = "-" if hit.keyword_score is None else f"{hit.keyword_score:.2f}"
        print(f"{rank}. {hit.name} p.{hit.page}  fused {hit.score:.4f}  cosine "
              f"{hit.vector_score:.3f}  BM25 {keyword}")
        print("   " + hit.preview)
    if not hits:
        print("No results: the library is empty or nothing matched.")
    return 0


def ask_library(args) -> int:
    from pipelines.library.answer import AskOptions, ask

    options = AskOptions(k=args.k, generate=not args.no_generate)
    answer = None
    # Streamed tokens are shown only to a person watching; the final text (printed after
    # them) is the one with citations attached, the same as the JSON answer.
    live = sys.stdout.isatty() and not args.json
    streamed = ""
    with closing(_open(args)) as library:
        for event in ask(library, args.question, options):
            answer = event.answer
            if live and event.kind == "token":
                streamed += event.text
                print(event.text, end="", flush=True)
    if args.json:
        print_json(answer.as_json())
        return 0
    _print_answer(answer, streamed)
    return 0


def _print_answer(answer, streamed: str = "") -> None:
    if streamed:
        print()
        if streamed.strip() != answer.text.strip():
            print(f"with citations: {answer.text}")
    else:
        print(answer.text)
    for citation in answer.citations:
        print(f"[{citation.n}] {citation.hit.name}, page {citation.hit.page}")
    for highlight in answer.highlights:
        print(f"  > {highlight.sentence} [{highlight.n}]")
    for note in answer.notes:
        print(f"note: {note}", file=sys.stderr)
