"""`glassbox generate` and `glassbox models` as a user runs them, in a separate process."""

import json
import shutil
import subprocess
import sys

import pytest

from inference.paths import REPO_ROOT

PROMPT = "To date, the cleverest thinker of all time was"


def glassbox(*args: str, env=None, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    command = [*prefix, sys.executable, str(REPO_ROOT / "main.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env,
                          check=False)


def generate_json(*args: str, prefix: tuple[str, ...] = ()) -> dict:
    result = glassbox("generate", "--prompt", PROMPT, "--max-new-tokens", "8", "--json", *args,
                      prefix=prefix)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_models_json_lists_the_language_model_as_intact():
    result = glassbox("models", "--json")
    entries = {entry["name"]: entry for entry in json.loads(result.stdout)}
    model = entries["smollm2-135m-instruct-q4"]
    assert model["ok"] is True
    assert model["licence"] == "Apache-2.0" and len(model["sha256"]) == 64
    assert model["size_bytes"] > 50_000_000 and model["path"].endswith("model.onnx")
    assert set(model) >= {"name", "purpose", "path", "size_bytes", "sha256", "licence", "ok"}


def test_greedy_json_has_every_field():
    data = generate_json("--strategy", "greedy")
    assert data["next_token_top"][0]["token"] == " Albert"
    assert data["text"].startswith(" Albert Einstein")
    assert len(data["next_token_top"]) == 10
    assert {"id", "text", "prob"} <= set(data["tokens"][0])
    assert data["tokens_per_second"] > 0 and data["model"] == "smollm2-135m-instruct-q4"


def test_same_seed_twice_gives_the_same_text_and_greedy_edges_match_greedy():
    greedy = generate_json("--strategy", "greedy")["text"]
    seeded = ["--strategy", "sample", "--seed", "7", "--temperature", "1.1"]
    assert generate_json(*seeded)["text"] == generate_json(*seeded)["text"]
    assert generate_json("--strategy", "sample", "--temperature", "0")["text"] == greedy
    assert generate_json("--strategy", "sample", "--top-p", "0")["text"] == greedy


def test_absurd_beam_width_is_clamped_with_a_note_not_a_traceback():
    result = glassbox("generate", "--prompt", PROMPT, "--strategy", "beam", "--num-beams",
                      "100000", "--max-new-tokens", "3", "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert any("100000" in note for note in json.loads(result.stdout)["notes"])


@pytest.mark.parametrize("args, expected", [
    (["--temperature", "-1", "--strategy", "sample"], "temperature must be between"),
    (["--top-p", "2", "--strategy", "sample"], "top_p must be between"),
    (["--num-beams", "0", "--strategy", "beam"], "num_beams must be at least 1"),
    (["--model", "no-such-model"], "There is no model called 'no-such-model'"),
    (["--max-new-tokens", "0"], "max_new_tokens must be between"),
])
def test_bad_values_give_one_clear_line_and_exit_2(args, expected):
    result = glassbox("generate", "--prompt", PROMPT, *args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_missing_model_file_says_how_to_rebuild(tmp_path):
    import os

    models = tmp_path / "models"
    source = REPO_ROOT / "models_onnx"
    shutil.copytree(source / "smollm2-135m-instruct-q4", models / "smollm2-135m-instruct-q4")
    shutil.copy(source / "build-record.json", models / "build-record.json")
    (models / "smollm2-135m-instruct-q4" / "model.onnx").unlink()

    env = {**os.environ, "GLASSBOX_MODELS_DIR": str(models)}
    result = glassbox("generate", "--prompt", PROMPT, env=env)
    assert result.returncode == 2
    assert "model.onnx is missing" in result.stderr
    assert "glassbox setup-models --only smollm2-135m-instruct-q4" in result.stderr
