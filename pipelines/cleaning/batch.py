"""Cleans a folder or a set of files into one JSONL file ready for fine-tuning, file by file."""

import csv
import json
import logging
import os
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Iterator

from inference.errors import CancelledError, GlassboxError, InputFileError, InvalidSettingError
from pipelines.cleaning.encodings import decode_error, open_text
from pipelines.cleaning.options import CleaningOptions
from pipelines.cleaning.paths import check_output, write_error
from pipelines.cleaning.pipeline import CleanTotals, read_chunks, validate

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".csv", ".jsonl")
RECORD_MODES = ("file", "paragraph")
# How many bad JSONL line numbers a report lists (per kind of fault); the count is always exact.
MAX_LISTED_LINES = 10


@dataclass(frozen=True)
class BatchOptions:
    """How records are read: the CSV column, the JSONL field, and records per text file."""

    csv_column: str = "text"
    jsonl_field: str = "text"
    records: str = "file"

    def __post_init__(self):
        if self.records not in RECORD_MODES:
            raise InvalidSettingError(f"Unknown record mode '{self.records}'; choose file "
                                      "(one record per .txt/.md file) or paragraph.")


@dataclass
class FileReport:
    """What happened to one input file."""

    path: str
    status: str = "ok"
    encoding: str = ""
    records: int = 0
    skipped_records: int = 0
    bad_lines: int = 0
    bad_line_numbers: list[int] = field(default_factory=list)
    chars_before: int = 0
    chars_after: int = 0
    tokens_before: int | None = 0
    tokens_after: int | None = 0
    error: str = ""

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class BatchProgress:
    """After each file (or big chunk): how far the batch is, and the file's report when done."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    current: str
    report: FileReport | None = None
    reports: list[FileReport] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes_total if self.bytes_total else 1.0


def collect_inputs(paths: list[Path]) -> list[Path]:
    """Files to clean: folders expanded (recursively) to their supported files, sorted."""
    return find_inputs(paths)[0]


def find_inputs(paths: list[Path], *, exclude: tuple[Path, ...] = ()
                ) -> tuple[list[Path], list[FileReport]]:
    """(files to clean, reports of the files in the folders that will not be cleaned).

    Folders are searched recursively, skipping hidden files and folders (.git, .DS_Store);
    files named directly are cleaned whatever their suffix. The exclude paths (the output
    being written) are never read.
    """
    found: list[Path] = []
    unsupported: list[FileReport] = []
    for path in map(Path, paths):
        if path.is_dir():
            _scan_folder(path, found, unsupported)
        elif path.exists():
            _check_not_output(path, exclude)
            found.append(path)
        else:
            raise InputFileError(f"{path} does not exist; give a folder or existing files.")
    banned = {_absolute(path) for path in exclude}
    excluded = [FileReport(str(path), status="skipped",
                           error="this is the output file of the batch; it is written, not read.")
                for path in found if _absolute(path) in banned]
    found = [path for path in found if _absolute(path) not in banned]
    # A stale .partial of this output is ours, not an unsupported input.
    unsupported = [report for report in unsupported if _absolute(report.path) not in banned]
    if not found:
        raise InputFileError(_nothing_found(paths, unsupported + excluded))
    return found, unsupported + excluded


def _scan_folder(folder: Path, found: list[Path], unsupported: list[FileReport]) -> None:
    for path in sorted(folder.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        if hidden or not path.is_file():
            continue
        if path.suffix.lower() in SUFFIXES:
            found.append(path)
        else:
            unsupported.append(FileReport(
                str(path), status="skipped",
                error=f"not a supported type ({path.suffix or 'no suffix'}); only "
                      f"{' '.join(SUFFIXES)} files are cleaned (convert it to text, or name "
                      "the file directly to clean it as text)."))


def _check_not_output(path: Path, exclude: tuple[Path, ...]) -> None:
    if _absolute(path) in {_absolute(other) for other in exclude}:
        raise InvalidSettingError(f"{path} is both an input and the output of the batch; "
                                  "choose another --out.")


def _absolute(path) -> Path:
    return Path(os.path.abspath(path))


def _nothing_found(paths: list[Path], ignored: list[FileReport]) -> str:
    where = ", ".join(map(str, paths))
    others = (f" (only {len(ignored)} other file(s), e.g. {Path(ignored[0].path).name})"
              if ignored else "")
    return (f"No {', '.join(SUFFIXES)} files found in {where}{others}; point --batch at your "
            "text files.")


def run_batch(inputs: list[Path], out_path: Path, options: CleaningOptions, *,
              batch: BatchOptions = BatchOptions(),
              cancel: threading.Event | None = None) -> Iterator[BatchProgress]:
    """Clean every input into out_path (JSONL); unreadable files are reported and skipped.

    Records go to out_path + ".partial", renamed to out_path when the batch ends or is
    cancelled. An interrupt (KeyboardInterrupt, e.g. Ctrl+C or a SIGTERM turned into one)
    leaves them in the .partial file, so an unfinished file never takes the final name.
    """
    validate(options)
    out_path = check_output(out_path, example="cleaned.jsonl")
    partial = partial_path(out_path)
    files, ignored = find_inputs(inputs, exclude=(out_path, partial))
    sizes = [_size(path) for path in files]
    progress = BatchProgress(0, len(files) + len(ignored), 0, sum(sizes), "")
    for report in ignored:
        progress.current = report.path
        yield _snapshot(_finish(progress, report, 0))
    yield from _write_all(files, sizes, out_path, partial, options, batch, cancel, progress)


def partial_path(out_path: Path) -> Path:
    """Where a batch writes its records until it ends."""
    return Path(out_path).with_name(Path(out_path).name + ".partial")


def _write_all(files, sizes, out_path, partial, options, batch, cancel, progress):
    interrupted = False
    try:
        with _open_partial(partial) as out:
            for path, size in zip(files, sizes):
                yield from _one_file(path, size, out, options, batch, cancel, progress)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        # A cancel keeps what was cleaned under the final name; an interrupt leaves it in
        # .partial, where the caller says so.
        if partial.exists() and not interrupted:
            os.replace(partial, out_path)


def _open_partial(partial: Path):
    try:
        return open(partial, "w", encoding="utf-8")
    except OSError as error:
        raise write_error(partial, error) from None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _one_file(path, size, out, options, batch, cancel, progress) -> Iterator[BatchProgress]:
    report = FileReport(str(path))
    progress.current = str(path)
    start_bytes = progress.bytes_done
    try:
        for chunk_fraction in _clean_file(path, out, options, batch, report, cancel):
            progress.bytes_done = start_bytes + int(size * chunk_fraction)
            yield _snapshot(progress)
    except (CancelledError, InvalidSettingError) as error:
        # Not this file's fault: a cancel or a setting error ends the whole batch.
        report.status, report.error = "cancelled", str(error)
        _finish(progress, report, start_bytes + size)
        raise
    except (GlassboxError, OSError, csv.Error) as error:
        report.status, report.error = "skipped", _reason(path, error)
        # Info, not a warning: the report carries it, and --json keeps stderr for errors.
        log.info("Skipped %s: %s", path, report.error)
    yield _snapshot(_finish(progress, report, start_bytes + size))


def _snapshot(progress: BatchProgress) -> BatchProgress:
    # The consumer may read it on another thread while this one goes on: hand out a copy.
    return replace(progress, reports=list(progress.reports))


def _finish(progress: BatchProgress, report: FileReport, bytes_done: int) -> BatchProgress:
    progress.files_done += 1
    progress.bytes_done = bytes_done
    progress.report = report
    progress.reports.append(report)
    return progress


def _reason(path: Path, error: Exception) -> str:
    if isinstance(error, GlassboxError):
        return str(error)
    return f"Cannot read {path}: {error}; check the file and its permissions."


def _clean_file(path, out, options, batch, report, cancel) -> Iterator[float]:
    stream, report.encoding = open_text(path)
    totals = CleanTotals(options)
    with stream:
        try:
            for fraction, source, text in _records(path, stream, batch, report):
                if cancel is not None and cancel.is_set():
                    raise CancelledError(f"Batch cancelled while cleaning {path}.")
                _write(out, totals.clean(text), source, report)
                yield fraction
        except UnicodeDecodeError as error:
            raise decode_error(path, report.encoding, error) from None
    _total(report, totals)


def _write(out, text: str, source: dict, report: FileReport) -> None:
    if not text.strip():
        report.skipped_records += 1
        return
    out.write(json.dumps({"text": text, **source}, ensure_ascii=False) + "\n")
    report.records += 1


def _total(report: FileReport, totals: CleanTotals) -> None:
    report.chars_before, report.chars_after = totals.before.chars, totals.after.chars
    report.tokens_before, report.tokens_after = totals.before.tokens, totals.after.tokens


def _records(path: Path, stream, batch: BatchOptions, report: FileReport):
    """(fraction of the file done, source fields, text) for each record of a file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_records(path, stream, batch.csv_column)
    if suffix == ".jsonl":
        return _jsonl_records(path, stream, batch.jsonl_field, report)
    if batch.records == "paragraph":
        return _paragraph_records(path, stream)
    return _file_records(path, stream)


def _file_records(path: Path, stream):
    # A text file is one record, but it is read and cleaned chunk by chunk; the chunks of one
    # file are written as consecutive records sharing "source" and numbered by "part".
    size = max(_size(path), 1)
    done = 0
    for part, chunk in enumerate(read_chunks(stream)):
        done += len(chunk.encode("utf-8", "surrogatepass"))
        yield min(done / size, 1.0), {"source": str(path), "part": part}, chunk


def _paragraph_records(path: Path, stream):
    size = max(_size(path), 1)
    done = 0
    index = 0
    for chunk in read_chunks(stream):
        done += len(chunk.encode("utf-8", "surrogatepass"))
        for paragraph in chunk.split("\n\n"):
            if paragraph.strip():
                yield min(done / size, 1.0), {"source": str(path), "paragraph": index}, paragraph
                index += 1


def _csv_records(path: Path, stream, column: str):
    reader = csv.DictReader(stream)
    if reader.fieldnames is None or column not in reader.fieldnames:
        found = ", ".join(reader.fieldnames or []) or "none"
        raise InputFileError(f"{path} has no column '{column}' (columns: {found}); choose the "
                             "column with --csv-column.")
    rows = list(reader)
    for row_number, row in enumerate(rows, start=2):
        yield row_number / (len(rows) + 1), {"source": str(path), "row": row_number}, \
            row.get(column) or ""


def _jsonl_records(path: Path, stream, field_name: str, report: FileReport):
    lines = stream.read().splitlines()
    faults: dict[str, list[int]] = {}
    for line_number, line in enumerate(lines, start=1):
        text, fault = _jsonl_text(line, field_name)
        if fault:
            faults.setdefault(fault, []).append(line_number)
        elif text is not None:
            yield line_number / len(lines), {"source": str(path), "line": line_number}, text
    _note_bad_lines(report, faults)


def _jsonl_text(line: str, field_name: str) -> tuple[str | None, str]:
    """(text, "") for a good line, (None, "") for a blank one, (None, fault) for a bad one."""
    if not line.strip():
        return None, ""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None, "not JSON"
    value = record.get(field_name) if isinstance(record, dict) else None
    if not isinstance(value, str):
        return None, f"no text field '{field_name}'"
    return value, ""


def _note_bad_lines(report: FileReport, faults: dict[str, list[int]]) -> None:
    """Count every bad line and list the first few of each kind in the report."""
    numbers = sorted(number for lines in faults.values() for number in lines)
    if not numbers:
        return
    report.bad_lines = len(numbers)
    report.skipped_records += len(numbers)
    report.bad_line_numbers = numbers[:MAX_LISTED_LINES]
    parts = [f"{kind} at {_line_list(lines)}" for kind, lines in faults.items()]
    hint = (" (choose the field with --jsonl-field)"
            if any(kind.startswith("no text field") for kind in faults) else "")
    report.error = (f"{len(numbers)} bad line(s) skipped: {'; '.join(parts)}{hint}; fix "
                    "those lines to include them.")


def _line_list(lines: list[int]) -> str:
    shown = ", ".join(map(str, lines[:MAX_LISTED_LINES]))
    if len(lines) > MAX_LISTED_LINES:
        return f"{len(lines)} lines (the first {MAX_LISTED_LINES}: {shown}, ...)"
    return f"line{'s' if len(lines) > 1 else ''} {shown}"
