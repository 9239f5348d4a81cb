"""Points NLTK at the provisioned data folder and loads its resources lazily, with clear errors."""

import functools
import logging
import threading

from inference import paths
from inference.errors import ModelUnavailableError

log = logging.getLogger(__name__)

NLTK_MODEL = "nltk-data"
RESTORE_HINT = f"restore it with: glassbox setup-models --only {NLTK_MODEL}"

# NLTK resource name -> what it is, for messages a user can act on.
RESOURCES = {
    "corpora/stopwords": "the English stopword list",
    "corpora/wordnet": "WordNet 3.0 (used by the lemmatizer)",
    "tokenizers/punkt_tab/english": "the Punkt sentence splitter",
    "taggers/averaged_perceptron_tagger_eng": "the part-of-speech tagger",
}

_lock = threading.Lock()


def use_nltk_data() -> None:
    """Put the provisioned folder first on NLTK's search path (idempotent; never downloads)."""
    import nltk

    folder = str(paths.nltk_data_dir())
    if not nltk.data.path or nltk.data.path[0] != folder:
        if folder in nltk.data.path:
            nltk.data.path.remove(folder)
        nltk.data.path.insert(0, folder)


def require_resource(name: str) -> None:
    """Raise ModelUnavailableError naming the resource and the command that restores it."""
    import nltk

    use_nltk_data()
    try:
        nltk.data.find(name)
    except LookupError:
        raise ModelUnavailableError(
            f"The NLTK resource '{name}' ({RESOURCES.get(name, name)}) is missing from "
            f"{paths.nltk_data_dir()}; {RESTORE_HINT}") from None


@functools.cache
def english_stopwords() -> frozenset[str]:
    """NLTK's English stopword list (198 words)."""
    require_resource("corpora/stopwords")
    from nltk.corpus import stopwords

    with _lock:
        return frozenset(stopwords.words("english"))


@functools.cache
def sentence_splitter():
    """The Punkt English sentence splitter (has span_tokenize)."""
    require_resource("tokenizers/punkt_tab/english")
    from nltk.tokenize import PunktTokenizer

    return PunktTokenizer("english")


@functools.cache
def pos_tagger():
    """The averaged-perceptron tagger (Penn Treebank tags)."""
    require_resource("taggers/averaged_perceptron_tagger_eng")
    from nltk.tag import PerceptronTagger

    return PerceptronTagger(lang="eng")


@functools.cache
def wordnet():
    """The WordNet corpus reader, loaded once (its first use reads about 30 MB)."""
    require_resource("corpora/wordnet")
    from nltk.corpus import wordnet as reader

    # LazyCorpusLoader swaps itself for the real reader on first attribute access; do it under
    # a lock so two threads never load it twice.
    with _lock:
        reader.ensure_loaded()
    log.info("WordNet loaded from %s", paths.nltk_data_dir())
    return reader
