"""The offline NLTK data: built from pinned archives, found without downloads, safe to convert."""

import json
import os
import pickle

import nltk
import pytest

from inference.errors import GlassboxError, ModelUnavailableError
from inference.manifest import require_model
from pipelines.cleaning import nltk_resources
from provision.nltk_data import TAGGER_NAME, convert_tagger


def test_provisioned_folder_holds_every_resource():
    folder = require_model("nltk-data").folder

    for name in nltk_resources.RESOURCES:
        nltk_resources.require_resource(name)
    assert len(nltk_resources.english_stopwords()) == 198
    assert b"\r\n" not in (folder / "corpora" / "wordnet" / "data.noun").read_bytes()[:100_000]


def test_nltk_finds_data_only_in_our_folder():
    nltk_resources.use_nltk_data()

    found = nltk.data.find("corpora/stopwords")
    assert str(require_model("nltk-data").folder) in str(found)


def test_missing_resource_names_it_and_the_restore_command(monkeypatch, tmp_path):
    monkeypatch.setenv("GLASSBOX_MODELS_DIR", str(tmp_path))
    monkeypatch.setattr(nltk.data, "path", [])

    with pytest.raises(ModelUnavailableError) as caught:
        nltk_resources.require_resource("corpora/wordnet")
    message = str(caught.value)
    assert "corpora/wordnet" in message and "WordNet" in message
    assert "glassbox setup-models --only nltk-data" in message


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("echo should-never-run",))


def test_tagger_conversion_refuses_pickles_that_name_code(tmp_path):
    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps(({}, {}, _RunsCode()), protocol=2))

    with pytest.raises(GlassboxError, match="not plain data"):
        convert_tagger(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_tagger_conversion_writes_the_three_json_files(tmp_path):
    weights = {"bias": {"NN": 1.0, "VB": -0.5}, "i suffix ing": {"VBG": 2.0}}
    path = tmp_path / "small.pickle"
    path.write_bytes(pickle.dumps((weights, {"the": "DT"}, {"NN", "VB", "VBG", "DT"}),
                                  protocol=2))

    convert_tagger(path, tmp_path / "out")
    folder = tmp_path / "out"
    assert json.loads((folder / f"{TAGGER_NAME}.weights.json").read_text()) == weights
    assert json.loads((folder / f"{TAGGER_NAME}.classes.json").read_text()) == \
        ["DT", "NN", "VB", "VBG"]


def test_converted_tagger_tags_like_the_reference():
    tagged = dict(nltk_resources.pos_tagger().tag("They were running home".split()))

    assert tagged["running"] == "VBG" and tagged["were"] == "VBD"


def test_fast_tagger_agrees_with_nltk():
    from pipelines.cleaning.tagging import fast_tagger

    sentences = [synset.definition().split() for synset in
                 list(nltk_resources.wordnet().all_synsets("v"))[:1500]]
    reference = [nltk_resources.pos_tagger().tag(words) for words in sentences]

    assert [fast_tagger().tag(words) for words in sentences] == reference


def test_importing_the_cleaning_code_leaves_nltk_alone():
    import subprocess
    import sys

    code = ("import nltk; before = list(nltk.data.path); "
            "import pipelines.cleaning.pipeline, pipelines.cleaning.batch, cli.clean_cmd; "
            "assert nltk.data.path == before, nltk.data.path")
    subprocess.run([sys.executable, "-c", code], check=True)
