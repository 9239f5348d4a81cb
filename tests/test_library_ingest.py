"""Adding, updating and removing documents; the index rebuilds itself; a killed ingest resumes."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.library.library import Library
from pipelines.library.search import SearchOptions
from pipelines.library.vector_index import INDEX_NAME, INFO_NAME
from tests.fixtures.documents import (ASTRONOMY, COOKING, constitution_text, make_mixed_folder,
                                      make_pdf)

REPO = Path(__file__).resolve().parent.parent


def _statuses(reports):
    return {Path(r.path).name: r.status for r in reports}


def test_mixed_folder_reports_every_file(tmp_path):
    files = make_mixed_folder(tmp_path / "inbox")
    library = Library(tmp_path / "lib")

    reports = {Path(r.path).name: r for r in library.add_all([tmp_path / "inbox"])}

    assert {name: r.status for name, r in reports.items()} == {
        "astronomy notes.pdf": "added", "recipes [draft].docx": "added",
        "garden (2024).md": "added", "caf\u00e9-cp1252.txt": "added",
        "empty.txt": "skipped", "broken.pdf": "skipped"}
    assert "empty" in reports["empty.txt"].message
    assert "damaged PDF" in reports["broken.pdf"].message
    assert all(reports[p.name].chunks > 0 for k, p in files.items()
               if k not in ("empty", "corrupt"))
    hits = library.search("cr\u00e8me br\u00fbl\u00e9e espresso", SearchOptions(k=1))
    assert hits[0].name == "caf\u00e9-cp1252.txt" and "cr\u00e8me" in hits[0].text


def test_readding_changing_and_removing(tmp_path):
    note = tmp_path / "notes (v2) \u65e5\u672c.md"
    note.write_text(ASTRONOMY, encoding="utf-8")
    library = Library(tmp_path / "lib")
    library.add_all([note])

    assert _statuses(library.add_all([note])) == {note.name: "unchanged"}

    note.write_text(COOKING, encoding="utf-8")
    assert _statuses(library.add_all([note])) == {note.name: "updated"}
    assert "yeast" in library.search("bread yeast", SearchOptions(k=1))[0].text
    assert len(library.documents()) == 1

    library.remove(note.name)
    assert library.documents() == []
    assert library.store.chunk_stats()[0] == 0
    assert library.search("bread yeast") == []


def test_touched_but_identical_file_is_unchanged(tmp_path):
    note = tmp_path / "same.txt"
    note.write_text(ASTRONOMY, encoding="utf-8")
    library = Library(tmp_path / "lib")
    library.add_all([note])
    os.utime(note, ns=(1, 1))

    assert _statuses(library.add_all([note])) == {"same.txt": "unchanged"}


@pytest.fixture(scope="module")
def constitution_library(tmp_path_factory):
    folder = tmp_path_factory.mktemp("constitution")
    source = folder / "us-constitution.txt"
    source.write_text(constitution_text(), encoding="ascii")
    make_pdf(folder / "moon.pdf", [ASTRONOMY])
    library = Library(folder / "lib")
    library.add_all([source, folder / "moon.pdf"])
    return library


@pytest.mark.parametrize("damage", ["delete", "garble", "truncate"])
def test_damaged_index_is_rebuilt_with_the_same_results(constitution_library, damage):
    folder = constitution_library.folder
    query = "commander in chief of the army and navy"
    before = [h.chunk_id for h in constitution_library.search(query, SearchOptions(k=5))]
    index_file = folder / INDEX_NAME
    if damage == "delete":
        index_file.unlink()
    elif damage == "garble":
        data = bytearray(index_file.read_bytes())
        data[len(data) // 2: len(data) // 2 + 64] = os.urandom(64)
        index_file.write_bytes(bytes(data))
    else:
        index_file.write_bytes(index_file.read_bytes()[:1000])

    reopened = Library(folder)
    after = [h.chunk_id for h in reopened.search(query, SearchOptions(k=5))]

    assert after == before
    assert reopened.index.rebuilt_reason
    assert index_file.exists() and (folder / INFO_NAME).exists()


def test_stale_index_catches_up_without_a_rebuild(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text(ASTRONOMY, encoding="utf-8")
    second.write_text(COOKING, encoding="utf-8")
    library = Library(tmp_path / "lib")
    library.add_all([first])
    saved_info = (library.folder / INFO_NAME).read_text()
    saved_index = (library.folder / INDEX_NAME).read_bytes()
    library.add_all([second])
    # As if the process died after committing b.txt but before saving the index.
    (library.folder / INFO_NAME).write_text(saved_info)
    (library.folder / INDEX_NAME).write_bytes(saved_index)

    reopened = Library(library.folder)
    hits = reopened.search("yeast dough", SearchOptions(k=1, keyword=False))

    assert hits[0].name == "b.txt"
    assert reopened.index.rebuilt_reason == ""


def test_sigkill_during_ingest_then_add_again(tmp_path, qtbot):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text = constitution_text()
    clause = text.index("Commander in Chief")
    for number in range(16):
        start = clause - 2000 if number == 0 else number * 2500
        part = text[start:start + 4000]
        (inbox / f"part {number:02d}.txt").write_text(f"Part {number}.\n\n{part}",
                                                      encoding="ascii")
    library_dir = tmp_path / "lib"
    command = [sys.executable, "-m", "main", "library", "add", str(inbox), "--library",
               str(library_dir)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    lines = []

    def two_files_done():
        lines.append(process.stdout.readline())
        return sum(line.startswith("added") for line in lines) >= 2

    qtbot.waitUntil(two_files_done, timeout=120_000)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    library = Library(library_dir)
    partial = len(library.documents())
    assert 2 <= partial < 16
    reports = library.add_all([inbox])

    statuses = [r.status for r in reports]
    assert statuses.count("unchanged") >= partial - 1
    paths = [d.path for d in library.documents()]
    assert len(paths) == len(set(paths)) == 16
    chunks, _ = library.store.chunk_stats()
    assert chunks == sum(d.chunk_count for d in library.documents())
    assert library.index.count == chunks
    hit = library.search("commander in chief of the army and navy", SearchOptions(k=1))[0]
    assert "Commander in Chief of the Army and Navy" in hit.text


def test_query_falls_back_to_exact_search_when_hnsw_runs_short(constitution_library, caplog):
    library = constitution_library
    moon = library.find_document("moon.pdf")
    real = sorted(library.chunk_ids_of([moon.id]))
    vector = library.embedder.embed_one("the Moon and the tides")
    # Ids that no chunk has: hnswlib cannot fill k = 3 and raises; exact search answers.
    allowed = set(real) | {10**9, 10**9 + 1}

    with caplog.at_level("INFO", logger="pipelines.library.vector_index"):
        hits = library.index.query(vector, 3, allowed=allowed)

    assert [chunk_id for chunk_id, _ in hits] == real
    assert "using exact search" in caplog.text
