"""`glassbox library add|list|remove|stats`, `glassbox search` and `glassbox ask`."""

import sys
from pathlib import Path

from cli.app import print_json

STATUS_ORDER = ["added", "updated", "unchanged", "skipped", "failed"]


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

    library = _open(args, create=True)
    reports = []
    live = sys.stderr.isatty()  # a progress line only where a person watches
    try:
        for event in library.add([Path(p) for p in args.paths]):
            if isinstance(event, IngestPlan) and not args.json:
                print(f"plan: {event.summary()}", flush=True)
            if isinstance(event, IngestProgress) and live:
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
    detail = f"{report.chunks} chunks" if report.status in ("added", "updated") else \
        report.message
    print(f"{report.status:9} {report.path}  {detail}", flush=True)


def list_documents(args) -> int:
    library = _open(args)
    documents = library.documents()
    if args.json:
        print_json([{"path": d.path, "name": d.name, "format": d.format, "pages": d.pages,
                     "chunks": d.chunk_count, "tokens": d.token_count,
                     "size_bytes": d.size_bytes, "encoding": d.encoding, "notes": d.notes}
                    for d in documents])
        return 0
    for d in documents:
        print(f"{d.name}  ({d.format}, {d.pages} page(s), {d.chunk_count} chunks)  {d.path}")
    if not documents:
        print(f"The library at {library.folder} is empty; add files with "
              "`glassbox library add PATH`.")
    return 0


def remove_documents(args) -> int:
    library = _open(args)
    removed = [library.remove(name) for name in args.documents]
    library.close()
    if args.json:
        print_json([{"path": r.path, "chunks": r.chunk_count} for r in removed])
    else:
        for record in removed:
            print(f"removed {record.path} ({record.chunk_count} chunks)")
    return 0


def show_stats(args) -> int:
    library = _open(args)
    stats = library.stats()
    if args.json:
        print_json(stats)
    else:
        for key, value in stats.items():
            print(f"{key:16} {value}")
    return 0


def search_library(args) -> int:
    from pipelines.library.search import SearchOptions

    library = _open(args)
    documents = tuple(library.find_document(d).id for d in args.document or [])
    hits = library.search(args.query, SearchOptions(k=args.k, mmr=args.mmr,
                                                    document_ids=documents))
    library.close()
    if args.json:
        print_json([hit.as_json() for hit in hits])
        return 0
    for rank, hit in enumerate(hits, start=1):
        keyword = "-" if hit.keyword_score is None else f"{hit.keyword_score:.2f}"
        print(f"{rank}. {hit.name} p.{hit.page}  fused {hit.score:.4f}  cosine "
              f"{hit.vector_score:.3f}  BM25 {keyword}")
        print("   " + " ".join(hit.text.split())[:300])
    if not hits:
        print("No results: the library is empty or nothing matched.")
    return 0


def ask_library(args) -> int:
    from pipelines.library.answer import AskOptions, ask

    library = _open(args)
    options = AskOptions(k=args.k, generate=not args.no_generate)
    answer = None
    for event in ask(library, args.question, options):
        answer = event.answer
        if not args.json and event.kind == "token":
            print(event.text, end="", flush=True)
    library.close()
    if args.json:
        print_json(answer.as_json())
        return 0
    _print_answer(answer)
    return 0


def _print_answer(answer) -> None:
    if not answer.generated:
        print(answer.text)
    else:
        print()
    for citation in answer.citations:
        print(f"[{citation.n}] {citation.hit.name}, page {citation.hit.page}")
    for highlight in answer.highlights:
        print(f"  > {highlight.sentence} [{highlight.n}]")
    for note in answer.notes:
        print(f"note: {note}", file=sys.stderr)
