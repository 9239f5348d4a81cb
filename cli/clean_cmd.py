"""`glassbox clean`: clean a file, standard input or a batch of files, and measure the saving."""

import contextlib
import io
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from cli.app import print_json
from inference.errors import InputFileError, InvalidSettingError

log = logging.getLogger(__name__)

STEPS_HELP = ("comma-separated steps, run in the order given, from: unicode, lower, "
              "contractions, regex, stopwords, lemmatize, stem, tidy (default: unicode,"
              "contractions,lower,tidy)")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "clean", help="clean text (stopwords, stemming, lemmas, regex...) and count the saving",
        description="Clean a text file or standard input, or a batch of files into JSONL, and "
                    "report characters, words and model tokens before and after.")
    parser.add_argument("input", nargs="?", metavar="FILE|-",
                        help="text file to clean, or - for standard input")
    parser.add_argument("--steps", help=STEPS_HELP)
    parser.add_argument("--stemmer", choices=["porter", "snowball", "lancaster"],
                        default="porter", help="stemmer for the stem step (default porter)")
    parser.add_argument("--preset", default="letters-only",
                        help="regex preset when --pattern is not given: letters-only, "
                             "letters-any-script, remove-numbers, remove-special, remove-urls, "
                             "remove-emails (default letters-only, i.e. [^a-zA-Z\\s] -> '')")
    parser.add_argument("--pattern", help="regex for the regex step (Python syntax)")
    parser.add_argument("--replace", default="", metavar="R",
                        help="replacement for --pattern matches (\\1 refers to a group)")
    parser.add_argument("--keep-negations", action="store_true",
                        help="never remove not, no, nor, never and n't forms as stopwords")
    parser.add_argument("--stopwords-file", type=Path, metavar="FILE",
                        help="your own stopword list, one word per line (default NLTK English)")
    parser.add_argument("--json", action="store_true",
                        help="print JSON: text, tokens_before, tokens_after, steps, warnings")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="write the cleaned text here (with --batch: the JSONL file)")
    group = parser.add_argument_group("batch")
    group.add_argument("--batch", nargs="+", type=Path, metavar="PATH",
                       help="folders or files (.txt .md .csv .jsonl) to clean into --out JSONL")
    group.add_argument("--csv-column", default="text", help="CSV column to clean (default text)")
    group.add_argument("--jsonl-field", default="text",
                       help="JSONL field to clean (default text)")
    group.add_argument("--records", choices=["file", "paragraph"], default="file",
                       help="one JSONL record per .txt/.md file, or per paragraph")
    parser.set_defaults(handler=clean)


def clean(args) -> int:
    from pipelines.cleaning.pipeline import validate

    options = _options(args)
    validate(options)
    if args.batch:
        return _batch(args, options)
    return _single(args, options)


def _options(args):
    from pipelines.cleaning.options import DEFAULT_STEPS, CleaningOptions, parse_steps

    steps = parse_steps(args.steps) if args.steps is not None else DEFAULT_STEPS
    return CleaningOptions(steps=steps, stemmer=args.stemmer, preset=args.preset,
                           pattern=args.pattern, replacement=args.replace,
                           stopwords=_stopword_file(args.stopwords_file),
                           keep_negations=args.keep_negations)


def _stopword_file(path: Path | None) -> frozenset[str] | None:
    if path is None:
        return None
    from pipelines.cleaning.encodings import read_text

    text, _ = read_text(path)
    words = frozenset(line.strip() for line in text.splitlines() if line.strip())
    if not words:
        raise InvalidSettingError(f"{path} holds no stopwords; put one word per line.")
    return words


# ------------------------------------------------------------------ one text

def _single(args, options) -> int:
    from pipelines.cleaning.paths import write_error
    from pipelines.cleaning.pipeline import clean_stream, read_chunks

    out_path = _checked_out(args)
    stream, size = _open_input(args.input)
    try:
        with stream, _open_out(out_path) as out:
            progress = _with_progress(clean_stream(read_chunks(stream), options), size)
            totals = _write_json(progress, out) if args.json else _write_text(progress, out)
    except UnicodeDecodeError as error:
        source = "Standard input" if args.input in (None, "-") else str(args.input)
        raise InputFileError(f"{source} is not valid text ({error.reason} at byte "
                             f"{error.start} of a block); re-save it as UTF-8.") from None
    except OSError as error:
        if out_path is None or isinstance(error, BrokenPipeError):
            raise
        raise write_error(out_path, error) from None
    if not args.json:
        _print_summary(totals)
    return 0


def _checked_out(args) -> Path | None:
    """--out checked before anything is read: writable, and not the input itself."""
    from pipelines.cleaning.paths import check_output, same_file

    if args.out is None:
        return None
    out_path = check_output(args.out)
    if args.input not in (None, "-") and same_file(args.input, out_path):
        raise InvalidSettingError(f"--out {out_path} is the input file; writing it would "
                                  "erase the text before it is read. Choose another --out.")
    return out_path


def _open_out(out_path: Path | None):
    if out_path is None:
        return contextlib.nullcontext(sys.stdout)
    return open(out_path, "w", encoding="utf-8")


def _open_input(name: str | None):
    from pipelines.cleaning.encodings import open_text

    if name in (None, "-"):
        if name is None and sys.stdin.isatty():
            raise InputFileError("No input: give a FILE, or - to read standard input "
                                 "(e.g. echo \"text\" | glassbox clean -).")
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="strict"), 0
    path = Path(name)
    if not path.is_file():
        raise InputFileError(f"{path} is not a file; give an existing text file or -.")
    stream, encoding = open_text(path)
    log.info("Reading %s as %s", path, encoding)
    return stream, path.stat().st_size


def _with_progress(progress, size: int):
    """Pass chunks through, reporting progress on stderr for big inputs."""
    shown = False
    for item in progress:
        if size > 4 << 20:
            _show_progress(f"cleaned {item.chars_done / 1e6:,.1f} M characters "
                           f"of about {size / 1e6:,.1f} MB")
            shown = True
        yield item
    if shown and sys.stderr.isatty():
        sys.stderr.write("\n")


def _show_progress(message: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{message}")
        sys.stderr.flush()
    else:
        log.info("%s", message)


def _write_text(progress, out):
    totals = None
    for item in progress:
        out.write(item.text)
        totals = item.totals
    if totals is None:
        return _empty_totals()
    return totals


def _write_json(progress, out):
    """The JSON document, with the text written chunk by chunk so memory stays bounded."""
    out.write('{\n  "text": "')
    totals = None
    for item in progress:
        out.write(json.dumps(item.text, ensure_ascii=False)[1:-1])
        totals = item.totals
    totals = totals or _empty_totals()
    rest = json.dumps(totals.result().to_json(include_text=False), ensure_ascii=False, indent=2)
    out.write('",\n' + rest[2:] + "\n")
    return totals


def _empty_totals():
    from pipelines.cleaning.options import CleaningOptions
    from pipelines.cleaning.pipeline import CleanTotals

    totals = CleanTotals(CleaningOptions(steps=()))
    totals.clean("")
    return totals


def _print_summary(totals) -> None:
    from pipelines.cleaning.pipeline import saving_percent

    result = totals.result()
    for line in _measure_lines(result, saving_percent):
        print(line, file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _measure_lines(result, saving_percent) -> list[str]:
    lines = []
    for name in ("chars", "words", "tokens"):
        before, after = getattr(result.before, name), getattr(result.after, name)
        if before is None or after is None:
            continue
        saved = saving_percent(before, after)
        saved_text = f"{saved:+.1f}% saved" if saved is not None else "n/a"
        lines.append(f"{name:>6}: {before:,} -> {after:,} ({saved_text})")
    return lines


# ---------------------------------------------------------------------- batch

class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl+C so the batch stops where it is and keeps its .partial file."""

    signum = signal.SIGTERM


def _batch(args, options) -> int:
    from pipelines.cleaning.batch import BatchOptions, run_batch
    from pipelines.cleaning.paths import check_output

    if args.out is None:
        raise InvalidSettingError("--batch needs --out FILE.jsonl, the file to write.")
    if args.input is not None:
        raise InvalidSettingError(f"Give either FILE ({args.input}) or --batch, not both.")
    args.out = check_output(args.out, example="cleaned.jsonl")
    batch = BatchOptions(csv_column=args.csv_column, jsonl_field=args.jsonl_field,
                         records=args.records)
    batches = run_batch(args.batch, args.out, options, batch=batch)
    last = None
    try:
        with _sigterm_as_interrupt():
            for progress in batches:
                _show_progress(f"[{progress.files_done}/{progress.files_total}] "
                               f"{100 * progress.fraction:5.1f}%  {Path(progress.current).name}")
                last = progress
    except KeyboardInterrupt as interrupt:
        return _interrupted(args, batches, last, interrupt)
    _end_progress_line()
    return _batch_report(args, last)


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """While the batch runs, SIGTERM stops it the way Ctrl+C does (a message, .partial kept)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set on the main thread
        return

    def stop(_signum, _frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted(args, batches, last, interrupt: KeyboardInterrupt) -> int:
    """Stop the batch where it is and say where its records are and how to finish."""
    from pipelines.cleaning.batch import partial_path

    # Raise the interrupt inside the batch too (if it is paused between files), so it leaves
    # its records in .partial instead of renaming them as if it had finished.
    with contextlib.suppress(KeyboardInterrupt, StopIteration):
        batches.throw(interrupt)
    _end_progress_line()
    partial = partial_path(args.out)
    done = f"{last.files_done} of {last.files_total}" if last else "0"
    if partial.exists():
        where = (f"the {_count_lines(partial):,} record(s) cleaned so far ({done} file(s) "
                 f"done) are in {partial}")
    else:
        where = "no records were written yet"
    print(f"glassbox: interrupted: {where}; re-run the same command to clean every file into "
          f"{args.out} (it starts again and replaces the .partial file).", file=sys.stderr)
    return 128 + getattr(interrupt, "signum", signal.SIGINT)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as stream:
        return sum(block.count(b"\n") for block in iter(lambda: stream.read(1 << 20), b""))


def _end_progress_line() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\n")


def _batch_report(args, progress) -> int:
    reports = progress.reports if progress else []
    skipped = [r for r in reports if r.status != "ok"]
    if args.json:
        print_json({"out": str(args.out), "files": [r.to_json() for r in reports],
                    "records": sum(r.records for r in reports), "skipped_files": len(skipped)})
    else:
        for report in reports:
            print(_report_line(report))
        print(f"{sum(r.records for r in reports)} records from {len(reports) - len(skipped)} "
              f"file(s) written to {args.out}; {len(skipped)} file(s) skipped.")
    return 1 if skipped else 0


def _report_line(report) -> str:
    if report.status != "ok":
        return f"{report.status:8} {report.path}: {report.error}"
    tokens = (f"{report.tokens_before:,} -> {report.tokens_after:,} tokens"
              if report.tokens_before is not None else "tokens n/a")
    note = f"; {report.error}" if report.error else ""
    return (f"{'ok':8} {report.path} ({report.encoding}): {report.records} record(s), "
            f"{report.chars_before:,} -> {report.chars_after:,} chars, {tokens}{note}")
