"""`glassbox clean` end to end: standard input, files, JSON, errors and batches."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from main import main

BATS = "The striped bats weren’t hanging on their feet, they were running better than geese.\n"
GLASSBOX = Path(sys.executable).parent / "glassbox"


def run_cli(args, capsys, monkeypatch, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8"))))
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_must_show_lemmatize_from_a_pipe():
    done = subprocess.run([str(GLASSBOX), "clean", "-", "--steps", "lower,contractions,lemmatize",
                           "--json"], input=BATS, capture_output=True, text=True, check=True)
    text = json.loads(done.stdout)["text"]

    for word in ("bat", "hang", "foot", "run", "goose"):
        assert word in text
    assert "be not" in text and ("well" in text or "good" in text)


def test_stopwords_json_warns_about_negations(capsys, monkeypatch):
    code, out, _ = run_cli(["clean", "-", "--steps", "stopwords", "--json"], capsys,
                           monkeypatch, "This is not good")
    data = json.loads(out)

    assert code == 0 and data["text"] == "good"
    assert any("not" in warning for warning in data["warnings"])
    assert data["tokens_after"] < data["tokens_before"]


def test_keep_negations(capsys, monkeypatch):
    code, out, _ = run_cli(["clean", "-", "--steps", "stopwords", "--keep-negations", "--json"],
                           capsys, monkeypatch, "This is not good")

    assert json.loads(out)["text"] == "not good"


def test_plain_output_and_summary(tmp_path, capsys, monkeypatch):
    source = tmp_path / "in.txt"
    source.write_text("Hello,   World !!", encoding="utf-8")

    code, out, err = run_cli(["clean", str(source), "--steps", "lower,tidy"], capsys, monkeypatch)
    assert code == 0 and out == "hello, world!"
    assert "tokens:" in err and "chars:" in err


def test_pattern_and_replace(capsys, monkeypatch):
    code, out, _ = run_cli(["clean", "-", "--steps", "regex", "--pattern", r"\d+", "--replace",
                            "#"], capsys, monkeypatch, "room 101 on floor 3")

    assert out == "room # on floor #"


@pytest.mark.parametrize("args, message", [
    (["clean", "-", "--steps", "regex", "--pattern", "[a-"], "Invalid regex pattern"),
    (["clean", "-", "--steps", "shout"], "Unknown cleaning step"),
    (["clean", "missing.txt"], "is not a file"),
    (["clean", "--batch", "."], "--out"),
])
def test_bad_input_is_one_clear_line(args, message, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(args, capsys, monkeypatch, "text")

    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_undecodable_standard_input(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9\xff")))

    assert main(["clean", "-"]) == 2
    assert "Standard input is not valid text" in capsys.readouterr().err


def test_empty_input_gives_empty_json(capsys, monkeypatch):
    code, out, _ = run_cli(["clean", "-", "--steps", "stopwords,lemmatize", "--json"], capsys,
                           monkeypatch, "")
    data = json.loads(out)

    assert code == 0 and data["text"] == "" and data["tokens_before"] == 0


def test_binary_file_is_refused(tmp_path, capsys, monkeypatch):
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 10)

    code, _, err = run_cli(["clean", str(binary)], capsys, monkeypatch)
    assert code == 2 and "binary" in err


def test_batch_to_jsonl(tmp_path, capsys, monkeypatch):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("This is not a drill.", encoding="utf-8")
    (tmp_path / "in" / "b.md").write_text("# Title\n\nSome *notes*.", encoding="utf-8")
    out = tmp_path / "out.jsonl"

    code, stdout, _ = run_cli(["clean", "--batch", str(tmp_path / "in"), "--out", str(out),
                               "--steps", "lower,tidy", "--json"], capsys, monkeypatch)
    report = json.loads(stdout)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert code == 0 and report["records"] == 2 and report["skipped_files"] == 0
    assert records[0]["text"] == "this is not a drill."


def test_out_file_and_own_stopword_list(tmp_path, capsys, monkeypatch):
    words = tmp_path / "stop.txt"
    words.write_text("quick\nfox\n", encoding="utf-8")
    out = tmp_path / "clean.txt"

    code, stdout, _ = run_cli(["clean", "-", "--steps", "stopwords", "--stopwords-file",
                               str(words), "--out", str(out)], capsys, monkeypatch,
                              "the quick brown fox")
    assert code == 0 and stdout == ""
    assert out.read_text(encoding="utf-8") == "the brown"


def test_empty_stopword_file_is_refused(tmp_path, capsys, monkeypatch):
    words = tmp_path / "stop.txt"
    words.write_text("\n\n", encoding="utf-8")

    code, _, err = run_cli(["clean", "-", "--steps", "stopwords", "--stopwords-file",
                            str(words)], capsys, monkeypatch, "text")
    assert code == 2 and "holds no stopwords" in err
