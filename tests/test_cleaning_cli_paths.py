"""`glassbox clean` with unusable paths, quiet --json batches, and a batch killed mid-run."""

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from main import main

GLASSBOX = Path(sys.executable).parent / "glassbox"


def run_cli(args, capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"some text")))
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "in.txt").write_bytes("Caf\u00e9 don\u2019t".encode("cp1252"))
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "a.txt").write_text("Alpha", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("args, message", [
    (["in.txt", "--out", "missing/dir/out.txt"], "the folder missing/dir does not exist"),
    (["in.txt", "--out", "folder"], "--out folder is a folder; give a file name inside it"),
    (["in.txt", "--out", "in.txt"], "is the input file"),
    (["in.txt", "--out", "in.txt/out.txt"], "in.txt is a file, not a folder"),
    (["in.txt", "--stopwords-file", "missing.txt", "--steps", "stopwords"],
     "Cannot read missing.txt"),
    (["in.txt", "--stopwords-file", "folder", "--steps", "stopwords"], "Cannot read folder"),
    (["folder"], "folder is not a file"),
    (["--batch", "folder", "--out", "missing/out.jsonl"], "the folder missing does not exist"),
    (["--batch", "folder", "--out", "folder"], "e.g. folder/cleaned.jsonl"),
    (["--batch", "missing", "--out", "out.jsonl"], "missing does not exist"),
    (["--batch", "in.txt", "--out", "in.txt/out.jsonl"], "in.txt is a file, not a folder"),
    (["--batch", "folder/a.txt", "--out", "folder/a.txt"], "is both an input and the output"),
])
def test_an_unusable_path_is_one_line_and_exit_2(args, message, workspace, capsys, monkeypatch):
    monkeypatch.chdir(workspace)
    code, out, err = run_cli(["clean", *args], capsys, monkeypatch)

    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err
    assert not (workspace / "missing").exists()
    assert (workspace / "in.txt").read_bytes() == "Caf\u00e9 don\u2019t".encode("cp1252")
    assert (workspace / "folder" / "a.txt").read_text(encoding="utf-8") == "Alpha"


def test_a_full_disk_is_one_line(workspace, capsys, monkeypatch):
    code, _, err = run_cli(["clean", workspace / "in.txt", "--out", "/dev/full"], capsys,
                           monkeypatch)

    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "Cannot write --out /dev/full: No space left on device" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_a_read_only_folder_is_one_line(workspace, capsys, monkeypatch):
    locked = workspace / "locked"
    locked.mkdir(mode=0o555)

    for args in (["clean", workspace / "in.txt", "--out", locked / "out.txt"],
                 ["clean", "--batch", workspace / "folder", "--out", locked / "out.jsonl"]):
        code, _, err = run_cli(args, capsys, monkeypatch)
        assert code == 2 and "is read-only for you" in err


def test_json_batch_keeps_stderr_for_errors_and_reports_every_file(workspace):
    folder = workspace / "folder"
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "picture.bin").write_bytes(b"\x00\x01")
    (folder / "lines.jsonl").write_text('{"text": "ok"}\nnope\n{"x": 1}\n{bad\n',
                                        encoding="utf-8")

    done = subprocess.run([str(GLASSBOX), "clean", "--batch", str(folder), "--out",
                           str(workspace / "out.jsonl"), "--json"], capture_output=True,
                          text=True)
    report = {Path(f["path"]).name: f for f in json.loads(done.stdout)["files"]}
    assert done.returncode == 1 and done.stderr == ""
    assert report["binary.txt"]["status"] == "skipped"
    assert report["picture.bin"]["status"] == "skipped"
    assert "not a supported type (.bin)" in report["picture.bin"]["error"]
    lines = report["lines.jsonl"]
    assert lines["bad_lines"] == 3 and lines["bad_line_numbers"] == [2, 3, 4]
    assert lines["error"].startswith("3 bad line(s) skipped: not JSON at lines 2, 4; "
                                     "no text field 'text' at line 3")


def test_plain_batch_report_shows_bad_lines(workspace, capsys, monkeypatch):
    (workspace / "folder" / "lines.jsonl").write_text('{"text": "ok"}\nnope\n',
                                                      encoding="utf-8")

    code, out, _ = run_cli(["clean", "--batch", workspace / "folder", "--out",
                            workspace / "out.jsonl"], capsys, monkeypatch)
    assert code == 0 and "lines.jsonl (utf-8): 1 record(s)" in out
    assert "1 bad line(s) skipped: not JSON at line 2" in out


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_killed_batch_says_where_its_records_are(tmp_path, signum):
    folder = tmp_path / "in"
    folder.mkdir()
    for index in range(100):
        (folder / f"{index:03}.txt").write_text(f"Document {index}. " * 1000, encoding="utf-8")
    out = tmp_path / "killed.jsonl"
    command = [str(GLASSBOX), "-v", "clean", "--batch", str(folder), "--out", str(out),
               "--steps", "lower,tidy"]

    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    for line in process.stderr:  # progress lines: wait until a few files are written
        if "[3/100]" in line:
            break
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)

    assert process.returncode == 128 + signum
    message = err.strip().splitlines()[-1]
    assert message.startswith("glassbox: interrupted: the ") and f"{out}.partial" in message
    assert "re-run the same command" in message
    records = Path(f"{out}.partial").read_text(encoding="utf-8").splitlines()
    assert 3 <= len(records) < 100 and not out.exists()
    assert all(json.loads(record)["text"].startswith("document") for record in records)

    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 0 and not Path(f"{out}.partial").exists()
    assert len(out.read_text(encoding="utf-8").splitlines()) == 100
