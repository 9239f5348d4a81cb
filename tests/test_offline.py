"""Every command-line area once more inside a network namespace with no network at all."""

import json
import shutil
import subprocess
import sys

import pytest

from inference.paths import REPO_ROOT



def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _unshare_works(),
                                reason="this machine does not allow unshare -n")


def offline(*args: str, stdin: str | None = None) -> dict:
    """Run `glassbox ARGS --json` where no network exists; any attempt to reach out fails."""
    command = ["unshare", "-n", sys.executable, str(REPO_ROOT / "main.py"), *args, "--json"]
    result = subprocess.run(command, capture_output=True, text=True, input=stdin, timeout=600,
                            check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_network_really_is_gone():
    probe = subprocess.run(["unshare", "-n", sys.executable, "-c",
                            "import socket; socket.create_connection(('127.0.0.1', 9), 2)"],
                           capture_output=True, text=True, check=False)
    assert probe.returncode != 0 and "unreachable" in probe.stderr.lower()


def test_models_and_generation_work_offline():
    assert all(entry["ok"] for entry in offline("models"))
    data = offline("generate", "--prompt", "To date, the cleverest thinker of all time was",
                   "--max-new-tokens", "6")
    assert data["text"].startswith(" Albert Einstein")


def test_cleaning_works_offline():
    data = offline("clean", "-", "--steps", "lower,stopwords,lemmatize",
                   stdin="The geese were running.")
    assert "goose" in data["text"] and data["tokens_after"] < data["tokens_before"]


def test_speech_round_trip_works_offline(tmp_path):
    speech = tmp_path / "speech.wav"
    command = ["unshare", "-n", sys.executable, str(REPO_ROOT / "main.py"), "speak", "--text",
               "The library opens at nine.", "--out", str(speech)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    data = offline("transcribe", str(speech))
    assert "library" in data["text"].lower() and data["no_speech"] is False


def test_library_add_and_search_work_offline(tmp_path):
    from tests.fixtures.documents import constitution_text

    library = tmp_path / "library"
    library.mkdir()
    document = tmp_path / "constitution.txt"
    document.write_text(constitution_text(), encoding="utf-8")
    added = offline("library", "add", str(document), "--library", str(library))
    assert added[0]["status"] == "added"
    hits = offline("search", "commander in chief of the army and navy", "--library",
                   str(library))
    assert "Commander in Chief" in hits[0]["text"]
