"""Cleaning speed: Glassbox's cached pipeline vs plain NLTK called word by word, on English prose.

The prose is WordNet's own definitions and example sentences (real English shipped with the
NLTK data), repeated to the chosen size. Prints the median of --repeats runs of each.

    .venv/bin/python benchmarks/bench_cleaning.py --mb 10 --repeats 1
"""

import argparse
import statistics
import time

from pipelines.cleaning import nltk_resources
from pipelines.cleaning.options import CleaningOptions
from pipelines.cleaning.pipeline import clean_stream
from pipelines.cleaning.tokens import count_tokens

STEPS = ("unicode", "contractions", "lower", "stopwords", "lemmatize", "stem", "tidy")


def prose(megabytes: float) -> str:
    """WordNet glosses and examples as sentences, repeated to about megabytes of text."""
    sentences = []
    for synset in nltk_resources.wordnet().all_synsets():
        for line in [synset.definition(), *synset.examples()]:
            if line:
                sentences.append(line[0].upper() + line[1:] + ".")
    paragraphs = [" ".join(sentences[i:i + 8]) for i in range(0, len(sentences), 8)]
    text = "\n\n".join(paragraphs)
    wanted = int(megabytes * 1e6)
    return (text * (wanted // len(text) + 1))[:wanted]


def chunks(text: str, size: int = 1 << 20):
    # Cut at paragraph breaks, as the streaming reader does.
    start = 0
    while start < len(text):
        end = text.find("\n\n", start + size)
        end = len(text) if end == -1 else end + 2
        yield text[start:end]
        start = end


def glassbox_clean(text: str) -> float:
    options = CleaningOptions(steps=STEPS, count_tokens=False)
    started = time.perf_counter()
    for _ in clean_stream(chunks(text), options):
        pass
    return time.perf_counter() - started


def plain_nltk_clean(text: str) -> float:
    """What a typical script does: tokenize, tag, then call the lemmatizer and stemmer per word."""
    import contractions
    from nltk import pos_tag, sent_tokenize, word_tokenize
    from nltk.stem import PorterStemmer, WordNetLemmatizer

    stop = nltk_resources.english_stopwords()
    lemmatizer, stemmer = WordNetLemmatizer(), PorterStemmer()
    wordnet_pos = {"J": "a", "V": "v", "N": "n", "R": "r"}
    started = time.perf_counter()
    for sentence in sent_tokenize(contractions.fix(text, slang=False)):
        words = [w.lower() for w in word_tokenize(sentence)]
        words = [w for w in words if w not in stop]
        lemmas = [lemmatizer.lemmatize(w, wordnet_pos.get(tag[0], "n"))
                  for w, tag in pos_tag(words)]
        " ".join(stemmer.stem(w) for w in lemmas)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0, help="megabytes of prose")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    nltk_resources.use_nltk_data()
    text = prose(args.mb)
    # Load every resource first so neither side pays for loading.
    glassbox_clean(text[:20_000])
    plain_nltk_clean(text[:20_000])
    ours = statistics.median(glassbox_clean(text) for _ in range(args.repeats))
    plain = statistics.median(plain_nltk_clean(text) for _ in range(args.repeats))
    megabytes = len(text.encode("utf-8")) / 1e6

    print(f"text: {megabytes:.1f} MB of English prose, steps: {', '.join(STEPS)}")
    print(f"glassbox pipeline: median {ours:7.1f} s  ({megabytes / ours:5.2f} MB/s)")
    print(f"plain NLTK       : median {plain:7.1f} s  ({megabytes / plain:5.2f} MB/s)")
    print(f"speed-up         : {plain / ours:.2f}x")
    sample = text[:1_000_000]
    started = time.perf_counter()
    tokens = count_tokens(sample)
    print(f"model tokens of 1 MB: {tokens:,} counted in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
