"""Read-only libraries, honest open errors, one writer at a time, readable CLI output."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli.app import run
from inference.errors import GlassboxError
from pipelines.library.ingest import Ingest, IngestProgress
from pipelines.library.library import Library
from pipelines.library.lock import WAITING, WriteLock
from pipelines.library.search import SearchOptions
from pipelines.library.store import DB_NAME, ReadOnlyLibraryError
from tests.fixtures.documents import ASTRONOMY, COOKING, constitution_text

COMMANDER = "commander in chief of the army and navy"


@pytest.fixture(scope="module")
def two_documents(tmp_path_factory):
    """A closed library with the Constitution and a one-chunk note about the Moon."""
    folder = tmp_path_factory.mktemp("two")
    (folder / "constitution.txt").write_text(constitution_text(), encoding="ascii")
    (folder / "moon.md").write_text(ASTRONOMY, encoding="utf-8")
    library = Library(folder / "lib")
    library.add_all([folder / "constitution.txt", folder / "moon.md"])
    library.close()
    return folder


def _cli(capsys, *argv):
    code = run(list(argv), launch_gui=lambda args: 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


# ------------------------------------------------------------------ read-only libraries


def test_read_only_library_searches_and_refuses_changes(two_documents, tmp_path):
    copy = tmp_path / "lib"
    copy.mkdir()
    for name in (DB_NAME, "index.json"):  # no index.hnsw: it must be rebuilt in memory
        (copy / name).write_bytes((two_documents / "lib" / name).read_bytes())
    before = _digests(copy)

    library = Library(copy, read_only=True)
    hits = library.search(COMMANDER, SearchOptions(k=3))
    stats = library.stats()
    with pytest.raises(ReadOnlyLibraryError, match="read-only, so nothing was added; the "
                                                     "library and your documents are untouched"):
        list(library.add([two_documents / "moon.md"]))
    with pytest.raises(ReadOnlyLibraryError, match="nothing was removed"):
        library.remove("moon.md")
    library.close()

    assert "Commander in Chief of the Army and Navy" in hits[0].text
    assert stats["read_only"] and stats["documents"] == 2
    after = _digests(copy)
    # The database and index description are untouched; the rebuilt index stayed in memory.
    # (SQLite itself may leave an empty -wal and a -shm beside a database opened mode=ro.)
    assert {name: after[name] for name in before} == before
    assert not {"index.hnsw", "write.lock"} & set(after)


def test_read_only_bind_mount_works_from_the_cli(two_documents, tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    for path in (two_documents / "lib").iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    mounted = _bind_read_only(folder)
    try:
        code_search, out_search, _ = _cli(capsys, "search", COMMANDER, "--library", str(folder))
        code_list, out_list, _ = _cli(capsys, "library", "list", "--library", str(folder))
        code_stats, out_stats, _ = _cli(capsys, "library", "stats", "--library", str(folder))
        code_ask, out_ask, _ = _cli(capsys, "ask", "How old must the President be?",
                                    "--no-generate", "--library", str(folder))
        code_add, _, err_add = _cli(capsys, "library", "add", str(two_documents / "moon.md"),
                                    "--library", str(folder))
        code_remove, _, err_remove = _cli(capsys, "library", "remove", "moon.md",
                                          "--library", str(folder))
    finally:
        subprocess.run(["umount", str(folder)], check=True)
    del mounted

    assert (code_search, code_list, code_stats, code_ask) == (0, 0, 0, 0)
    assert out_search.startswith("1. constitution.txt") and "moon.md" in out_list
    assert "access:    read-only" in out_stats and "[1]" in out_ask
    assert code_add == 2 and "is read-only, so nothing was added" in err_add
    assert code_remove == 2 and "is read-only, so nothing was removed" in err_remove
    assert "move it away" not in err_add + err_remove


def _bind_read_only(folder: Path) -> bool:
    """Mount folder read-only over itself, or skip when this machine does not allow it."""
    bind = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True,
                          text=True)
    if bind.returncode != 0:
        pytest.skip(f"bind mounts are not permitted here ({bind.stderr.strip()}); "
                    "test_read_only_library_searches_and_refuses_changes covers the code path")
    remount = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)],
                             capture_output=True, text=True)
    if remount.returncode != 0:
        subprocess.run(["umount", str(folder)], check=True)
        pytest.skip(f"read-only remounts are not permitted here ({remount.stderr.strip()})")
    return True


def test_only_a_damaged_database_is_to_be_moved_away(tmp_path, capsys):
    damaged, unopenable = tmp_path / "damaged", tmp_path / "unopenable"
    damaged.mkdir()
    (damaged / DB_NAME).write_bytes(b"this is not a database" * 100)
    (unopenable / DB_NAME).mkdir(parents=True)  # exists, intact, but not a file SQLite opens

    _, _, err_damaged = _cli(capsys, "library", "list", "--library", str(damaged))
    code, _, err_other = _cli(capsys, "library", "list", "--library", str(unopenable))

    assert "is damaged" in err_damaged and "move it away" in err_damaged
    assert code == 2 and "cannot be opened" in err_other and "move it away" not in err_other


# ------------------------------------------------------------------ one writer at a time


def test_a_waiting_writer_rechecks_files_under_the_lock(tmp_path):
    note = tmp_path / "moon.md"
    note.write_text(ASTRONOMY, encoding="utf-8")
    first, second = Library(tmp_path / "lib"), Library(tmp_path / "lib")
    held = WriteLock(tmp_path / "lib")
    assert held.try_acquire()

    waiting = second.add([note])
    event = next(waiting)  # the other writer holds the lock: told so, not blocked silently
    reports = [e for e in Ingest(first, [note]).run() if hasattr(e, "status")]
    held.release()
    later = [e for e in waiting if hasattr(e, "status")]
    first.close()
    second.close()

    assert isinstance(event, IngestProgress) and event.stage == WAITING
    assert [r.status for r in reports] == ["added"]
    assert [r.status for r in later] == ["unchanged"]  # not embedded a second time


def test_remove_fails_fast_while_another_writer_holds_the_lock(tmp_path):
    note = tmp_path / "moon.md"
    note.write_text(ASTRONOMY, encoding="utf-8")
    library = Library(tmp_path / "lib")
    library.add_all([note])
    held = WriteLock(tmp_path / "lib")
    assert held.try_acquire()
    try:
        with pytest.raises(GlassboxError, match="Another Glassbox process is adding to the "
                                                "library .* nothing was removed"):
            library.remove("moon.md")
    finally:
        held.release()
    documents = [d.name for d in library.documents()]
    library.close()

    assert documents == ["moon.md"]


def test_two_add_processes_embed_each_file_once(tmp_path):
    (tmp_path / "constitution.txt").write_text(constitution_text(), encoding="ascii")
    (tmp_path / "cooking.md").write_text(COOKING, encoding="utf-8")
    command = [str(Path(sys.executable).with_name("glassbox")), "library", "add",
               str(tmp_path / "constitution.txt"),
               str(tmp_path / "cooking.md"), "--library", str(tmp_path / "lib"), "--json"]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, cwd=Path(__file__).parents[1]) for _ in range(2)]
    outputs = [process.communicate(timeout=300) for process in processes]

    statuses = [r["status"] for out, _ in outputs for r in json.loads(out)]
    assert [p.returncode for p in processes] == [0, 0], [err for _, err in outputs]
    assert sorted(statuses) == ["added", "added", "unchanged", "unchanged"]


# ------------------------------------------------------------------ readable CLI output


def test_stats_and_list_are_readable_with_singulars(tmp_path, capsys):
    note = tmp_path / "moon.md"
    note.write_text(ASTRONOMY, encoding="utf-8")
    where = ["--library", str(tmp_path / "lib")]

    _, added, _ = _cli(capsys, "library", "add", str(note), *where)
    _, listed, _ = _cli(capsys, "library", "list", *where)
    _, stats, _ = _cli(capsys, "library", "stats", *where)

    assert "1 chunk\n" in added and "plan: 1 file: 1 new" in added
    assert "(markdown, 1 page, 1 chunk)" in listed
    assert "{" not in stats and "contents:  1 document, 1 page, 1 chunk, " in stats
    assert "(HNSW M 16, ef_construction 200, search ef 200)" in stats


def test_plain_ask_shows_the_citations_of_the_json_answer(two_documents, capsys):
    where = ["--library", str(two_documents / "lib")]
    question = "Who is commander in chief of the army and navy?"

    _, out, _ = _cli(capsys, "ask", question, *where, "--json")
    answer = json.loads(out)
    _, plain, _ = _cli(capsys, "ask", question, *where)

    assert answer["cited"] and answer["answer"] in plain
    assert plain.splitlines()[0] == answer["answer"]


def test_search_preview_shows_the_matching_sentence(two_documents, capsys):
    where = ["--library", str(two_documents / "lib")]

    _, out, _ = _cli(capsys, "search", COMMANDER, *where, "--k", "3")
    _, as_json, _ = _cli(capsys, "search", COMMANDER, *where, "--k", "3", "--json")
    first = json.loads(as_json)[0]

    assert "The President shall be Commander in Chief of the Army and Navy" in \
        out.splitlines()[1]
    assert first["preview"] in out and first["preview"] != first["text"]
    assert len(first["text"]) > len(first["preview"])  # JSON keeps the whole chunk


def test_bm25_is_real_in_a_small_library_and_dash_without_a_match(tmp_path, capsys):
    (tmp_path / "moon.md").write_text(ASTRONOMY, encoding="utf-8")
    (tmp_path / "cooking.md").write_text(COOKING, encoding="utf-8")
    library = Library(tmp_path / "lib")
    library.add_all([tmp_path / "moon.md", tmp_path / "cooking.md"])
    library.close()

    _, out, _ = _cli(capsys, "search", "the tides of the moon", "--library",
                     str(tmp_path / "lib"))
    scores = [line.rsplit("BM25 ", 1)[1] for line in out.splitlines() if "BM25" in line]

    assert out.startswith("1. moon.md")
    assert float(scores[0]) >= 0.1  # FTS5's own bm25 says 0.00 here (its idf is clamped)
    assert scores[1] == "-"  # the cooking note shares only "the" with the query


@pytest.mark.parametrize("make_library", [
    lambda tmp: (tmp / "a-file").touch() or tmp / "a-file",
    lambda tmp: (tmp / "a-file").touch() or tmp / "a-file" / "library",
])
def test_a_library_path_that_cannot_be_a_folder_is_one_clear_line(tmp_path, capsys,
                                                                  make_library):
    document = tmp_path / "note.txt"
    document.write_text("Tides follow the Moon.", encoding="utf-8")
    library = make_library(tmp_path)

    code = run(["library", "add", str(document), "--library", str(library)], lambda _: 0)

    error = capsys.readouterr().err
    assert code == 2 and "Traceback" not in error
    assert len(error.strip().splitlines()) == 1 and "--library" in error
