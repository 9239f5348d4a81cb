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
from pipelines.cleaning.pipeline import CleanTotals, read_chunks, validate

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".csv", ".jsonl")
RECORD_MODES = ("file", "paragraph")


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
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in SUFFIXES))
        elif path.exists():
            found.append(path)
        else:
            raise InputFileError(f"{path} does not exist; give a folder or existing files.")
    if not found:
        raise InputFileError(f"No {', '.join(SUFFIXES)} files found in "
                             f"{', '.join(map(str, paths))}; point --batch at your text files.")
    return found


def run_batch(inputs: list[Path], out_path: Path, options: CleaningOptions, *,
              batch: BatchOptions = BatchOptions(),
              cancel: threading.Event | None = None) -> Iterator[BatchProgress]:
    """Clean every input into out_path (JSONL); unreadable files are reported and skipped."""
    validate(options)
    files = collect_inputs(inputs)
    sizes = [_size(path) for path in files]
    progress = BatchProgress(0, len(files), 0, sum(sizes), "")
    partial = out_path.with_name(out_path.name + ".partial")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(partial, "w", encoding="utf-8") as out:
            for path, size in zip(files, sizes):
                yield from _one_file(path, size, out, options, batch, cancel, progress)
    finally:
        # Whatever was cleaned is kept, even after a cancel: nothing done is lost.
        if partial.exists():
            os.replace(partial, out_path)


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
        log.warning("Skipped %s: %s", path, report.error)
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
    for line_number, line in enumerate(lines, start=1):
        text = _jsonl_text(path, line, line_number, field_name, report)
        if text is not None:
            yield line_number / len(lines), {"source": str(path), "line": line_number}, text


def _jsonl_text(path, line: str, line_number: int, field_name: str, report) -> str | None:
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        _skip_record(report, f"{path} line {line_number} is not JSON ({error.msg}); skipped.")
        return None
    value = record.get(field_name) if isinstance(record, dict) else None
    if not isinstance(value, str):
        _skip_record(report, f"{path} line {line_number} has no text field '{field_name}'; "
                             "skipped (choose the field with --jsonl-field).")
        return None
    return value


def _skip_record(report: FileReport, reason: str) -> None:
    report.skipped_records += 1
    if not report.error:
        report.error = reason
