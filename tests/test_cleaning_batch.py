"""Batch cleaning: mixed formats and encodings, skipped files, cancel, and a 50 MB stream."""

import codecs
import json
import threading

import psutil
import pytest

from inference.errors import CancelledError, InputFileError, InvalidSettingError
from pipelines.cleaning.batch import BatchOptions, partial_path, run_batch
from pipelines.cleaning.encodings import detect_encoding, read_text
from pipelines.cleaning.options import CleaningOptions
from pipelines.cleaning.pipeline import clean_stream, read_chunks

LOWER = CleaningOptions(steps=("lower", "tidy"))
PROSE = ("The keeper of the lighthouse wrote in his log that the storm had not yet come, "
         "though the gulls had long since gone inland and the sea lay flat as slate.\n\n")


def five_documents(folder):
    """A folder of five one-line text files, for tests that stop a batch midway."""
    folder.mkdir()
    for index in range(5):
        (folder / f"{index}.txt").write_text(f"Document {index}", encoding="utf-8")
    return folder


def make_inputs(folder):
    folder.mkdir()
    (folder / "utf8.txt").write_text("Café Über", encoding="utf-8")
    (folder / "utf16.txt").write_bytes(codecs.BOM_UTF16_LE + "Naïve Ünïcode".encode("utf-16-le"))
    (folder / "cp1252.txt").write_bytes("Smart “quotes” – déjà vu".encode("cp1252"))
    (folder / "notes.md").write_text("# Heading\n\nBody text.", encoding="utf-8")
    (folder / "table.csv").write_text("id,body\n1,First ROW\n2,\"Second, quoted\"\n",
                                      encoding="utf-8")
    (folder / "lines.jsonl").write_text('{"text": "One"}\nnot json\n{"other": 1}\n'
                                        '{"text": "Two"}\n', encoding="utf-8")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "ignored.bin").write_bytes(b"\x00\x01")


def run(inputs, out, batch=BatchOptions(), cancel=None):
    return list(run_batch(inputs, out, LOWER, batch=batch, cancel=cancel))


def test_mixed_folder(tmp_path):
    make_inputs(tmp_path / "in")
    out = tmp_path / "out.jsonl"

    progress = run([tmp_path / "in"], out, BatchOptions(csv_column="body"))
    reports = {r.path.split("/")[-1]: r for r in progress[-1].reports}
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in records]

    assert set(reports) == {"utf8.txt", "utf16.txt", "cp1252.txt", "notes.md", "table.csv",
                            "lines.jsonl", "binary.txt", "ignored.bin"}
    assert reports["binary.txt"].status == "skipped" and "binary" in reports["binary.txt"].error
    assert reports["ignored.bin"].status == "skipped"
    assert "not a supported type (.bin)" in reports["ignored.bin"].error
    assert reports["utf16.txt"].encoding == "utf-16" and "naïve ünïcode" in texts
    assert reports["cp1252.txt"].encoding == "cp1252" and "smart “quotes” – déjà vu" in texts
    assert "first row" in texts and "second, quoted" in texts
    assert reports["lines.jsonl"].records == 2 and reports["lines.jsonl"].skipped_records == 2
    assert reports["lines.jsonl"].bad_line_numbers == [2, 3]
    assert "not JSON at line 2" in reports["lines.jsonl"].error
    assert "no text field 'text' at line 3" in reports["lines.jsonl"].error
    assert progress[-1].fraction == 1.0


def test_missing_csv_column_skips_the_file_and_names_the_columns(tmp_path):
    make_inputs(tmp_path / "in")

    progress = run([tmp_path / "in" / "table.csv", tmp_path / "in" / "notes.md"],
                   tmp_path / "out.jsonl")
    csv_report, md_report = progress[-1].reports
    assert csv_report.status == "skipped" and "columns: id, body" in csv_report.error
    assert md_report.status == "ok"


def test_paragraph_records(tmp_path):
    source = tmp_path / "story.txt"
    source.write_text(PROSE * 3, encoding="utf-8")

    run([source], tmp_path / "out.jsonl", BatchOptions(records="paragraph"))
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["paragraph"] for line in lines] == [0, 1, 2]


def test_cancel_keeps_what_was_done(tmp_path):
    folder = five_documents(tmp_path / "in")
    cancel = threading.Event()
    out = tmp_path / "out.jsonl"

    with pytest.raises(CancelledError):
        for progress in run_batch([folder], out, LOWER, cancel=cancel):
            if progress.files_done == 2:
                cancel.set()
    assert out.read_text(encoding="utf-8").count("\n") == 2


def test_no_inputs_is_a_clear_error(tmp_path):
    with pytest.raises(InputFileError, match="No .txt"):
        run([tmp_path], tmp_path / "out.jsonl")
    with pytest.raises(InputFileError, match="does not exist"):
        run([tmp_path / "nope"], tmp_path / "out.jsonl")


@pytest.mark.parametrize("data, encoding", [
    ("plain".encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + "bom".encode("utf-8"), "utf-8-sig"),
    (codecs.BOM_UTF16_BE + "be".encode("utf-16-be"), "utf-16"),
    ("no bom here".encode("utf-16-le"), "utf-16-le"),
    ("café".encode("cp1252"), "cp1252"),
])
def test_detect_encoding(data, encoding):
    assert detect_encoding(data) == encoding


def test_undecodable_file_is_refused(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(bytes(range(128, 256)))

    with pytest.raises(InputFileError, match="neither UTF-8"):
        read_text(bad)


@pytest.mark.slow
def test_fifty_megabytes_stream_in_bounded_memory(tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "w", encoding="utf-8") as out:
        for _ in range(50_000_000 // len(PROSE)):
            out.write(PROSE)
    options = CleaningOptions(steps=("lower", "stopwords", "tidy"), count_tokens=False)
    list(clean_stream([PROSE], options))  # load the stopword list before measuring
    process = psutil.Process()
    start_rss = process.memory_info().rss
    growth = []

    with open(big, encoding="utf-8") as stream:
        for progress in clean_stream(read_chunks(stream), options):
            growth.append(process.memory_info().rss - start_rss)
    assert len(growth) >= 45 and progress.chars_done == big.stat().st_size
    # Memory is bounded by the chunk size: no growth with the amount of text read.
    assert max(growth) < 100e6
    assert growth[-1] - growth[4] < 20e6
    assert progress.totals.after.words < progress.totals.before.words


def test_invalid_pattern_stops_the_batch_before_any_file(tmp_path):
    make_inputs(tmp_path / "in")
    options = CleaningOptions(steps=("regex",), pattern="[a-")

    with pytest.raises(InvalidSettingError, match="Invalid regex pattern"):
        list(run_batch([tmp_path / "in"], tmp_path / "out.jsonl", options))
    assert not (tmp_path / "out.jsonl").exists()


def test_every_bad_jsonl_line_is_counted_and_the_first_ten_listed(tmp_path):
    lines = ['{"text": "good"}'] + ["{broken"] * 25 + ['{"text": "also good"}']
    source = tmp_path / "data.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = run([source], tmp_path / "out.jsonl")[-1].reports[0]
    assert report.status == "ok" and report.records == 2 and report.bad_lines == 25
    assert report.bad_line_numbers == list(range(2, 12))
    assert report.error.startswith("25 bad line(s) skipped: not JSON at 25 lines "
                                   "(the first 10: 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ...)")


def test_hidden_files_are_not_searched_and_the_output_is_not_read(tmp_path):
    folder = tmp_path / "in"
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "HEAD").write_text("ref", encoding="utf-8")
    (folder / "a.txt").write_text("Alpha", encoding="utf-8")
    out = folder / "out.jsonl"
    out.write_text('{"text": "from an earlier run"}\n', encoding="utf-8")

    reports = {r.path.split("/")[-1]: r for r in run([folder], out)[-1].reports}
    assert set(reports) == {"a.txt", "out.jsonl"}
    assert reports["out.jsonl"].status == "skipped" and "output file" in reports["out.jsonl"].error
    assert out.read_text(encoding="utf-8") == '{"text": "alpha", "source": "%s", "part": 0}\n' \
        % (folder / "a.txt")


@pytest.mark.parametrize("make_out, message", [
    (lambda tmp: tmp / "missing" / "out.jsonl", "does not exist; create it first"),
    (lambda tmp: tmp, "is a folder; give a file name inside it"),
])
def test_an_unusable_output_stops_before_any_file(tmp_path, make_out, message):
    make_inputs(tmp_path / "in")

    with pytest.raises(InvalidSettingError, match=message):
        run([tmp_path / "in"], make_out(tmp_path))
    assert not (tmp_path / "missing").exists()  # no folder is created behind the user's back


def test_an_interrupt_leaves_the_records_in_the_partial_file(tmp_path):
    folder = five_documents(tmp_path / "in")
    out = tmp_path / "out.jsonl"
    batches = run_batch([folder], out, LOWER)

    while next(batches).files_done < 2:
        pass
    with pytest.raises(KeyboardInterrupt):
        batches.throw(KeyboardInterrupt())
    assert not out.exists()
    assert partial_path(out).read_text(encoding="utf-8").count("\n") == 2


def test_an_abandoned_batch_keeps_its_records_under_the_final_name(tmp_path):
    # What the GUI's cancel does: it stops asking for progress and drops the generator.
    folder = five_documents(tmp_path / "in")
    out = tmp_path / "out.jsonl"
    batches = run_batch([folder], out, LOWER)

    while next(batches).files_done < 2:
        pass
    batches.close()
    assert out.read_text(encoding="utf-8").count("\n") == 2 and not partial_path(out).exists()
