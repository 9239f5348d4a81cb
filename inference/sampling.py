"""Turning logits into the next token: greedy choice and every sampling filter, in numpy.

Every function takes logits of shape (vocab,) and returns new logits, with -inf marking the
tokens a filter removed, so filters compose in any order and the result is always a valid
distribution: each filter keeps at least the most likely token, so nothing ends up empty or NaN.
"""

import math
from dataclasses import dataclass

import numpy as np

from inference.errors import InvalidSettingError

NEG_INF = -np.inf
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class SamplingOptions:
    """How the next token is drawn. Defaults leave the model's distribution untouched.

    temperature: 0 means greedy; below 1 sharpens the distribution, above 1 flattens it.
    top_k: keep the k most likely tokens; 0 turns the filter off; more than the vocabulary
        means the whole vocabulary.
    top_p: keep the smallest set of tokens whose probabilities add up to p (nucleus); 1 turns
        it off; 0 keeps only the most likely token.
    min_p: drop tokens less likely than min_p times the most likely one; 0 turns it off.
    typical_p: keep the tokens whose surprise is closest to the distribution's entropy, until
        they hold p of the probability; 1 turns it off; 0 keeps only the most typical token.
    repetition_penalty: divides the odds of every token already in the text by this factor
        (1 turns it off), which lowers a repeated token's probability whatever its logit's sign.
    seed: makes sampling reproducible; None draws fresh randomness.
    """

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    typical_p: float = 1.0
    repetition_penalty: float = 1.0
    seed: int | None = None

    def __post_init__(self):
        _check_range("temperature", self.temperature, 0.0, 100.0)
        if not isinstance(self.top_k, int) or self.top_k < 0:
            raise InvalidSettingError(f"top_k must be 0 (off) or a positive whole number; "
                                      f"got {self.top_k!r}.")
        _check_range("top_p", self.top_p, 0.0, 1.0)
        _check_range("min_p", self.min_p, 0.0, 1.0)
        _check_range("typical_p", self.typical_p, 0.0, 1.0)
        _check_range("repetition_penalty", self.repetition_penalty, 1.0, 1000.0)
        if self.seed is not None:
            _check_range("seed", self.seed, 0, MAX_SEED)

    @property
    def is_greedy(self) -> bool:
        """True when the settings leave only one possible token at every step."""
        return self.temperature == 0 or self.top_p == 0 or self.top_k == 1


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not isinstance(value, (int, float)) or math.isnan(value) or not low <= value <= high:
        raise InvalidSettingError(f"{name} must be between {low} and {high}; got {value!r}.")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities from logits; -inf entries get probability 0. Works on the last axis."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / np.sum(weights, axis=-1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities from logits, computed stably. Works on the last axis."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def apply_repetition_penalty(logits: np.ndarray, previous_ids, penalty: float) -> np.ndarray:
    """Divide the odds of every token already seen by `penalty`.

    Subtracting log(penalty) from each seen token's logit is the same shift for all of them,
    so each one's probability falls whether its logit was positive, zero or negative (unlike
    scaling the logit, which leaves a logit of 0 unchanged).
    """
    if penalty == 1.0 or len(previous_ids) == 0:
        return logits
    penalized = np.array(logits, dtype=np.float64)
    seen = np.unique(np.asarray(previous_ids, dtype=np.int64))
    penalized[seen] -= math.log(penalty)
    return penalized


def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Scale logits by 1/temperature; temperature 0 keeps only the most likely token."""
    if temperature == 0:
        return keep_only_best(logits)
    return np.asarray(logits, dtype=np.float64) / temperature


def keep_only_best(logits: np.ndarray) -> np.ndarray:
    """Every token but the most likely one removed (the first one on a tie, as argmax does)."""
    kept = np.full(len(logits), NEG_INF)
    best = int(np.argmax(logits))
    kept[best] = logits[best]
    return kept


def top_k_filter(logits: np.ndarray, k: int) -> np.ndarray:
    """Keep the k highest logits; k of 0 or at least the vocabulary size keeps all."""
    if k <= 0 or k >= len(logits):
        return logits
    # By rank rather than by threshold, so ties never keep more than k.
    order = np.argsort(-logits, kind="stable")[:k]
    kept = np.full(len(logits), NEG_INF)
    kept[order] = logits[order]
    return kept


def top_p_filter(logits: np.ndarray, p: float) -> np.ndarray:
    """Keep the smallest set of most likely tokens whose probability adds up to at least p."""
    if p >= 1.0:
        return logits
    if p <= 0.0:
        return keep_only_best(logits)
    order = np.argsort(-logits, kind="stable")
    cumulative = np.cumsum(softmax(logits)[order])
    count = int(np.searchsorted(cumulative, p, side="left")) + 1
    kept = np.full(len(logits), NEG_INF)
    chosen = order[:count]
    kept[chosen] = logits[chosen]
    return kept


def min_p_filter(logits: np.ndarray, min_p: float) -> np.ndarray:
    """Drop tokens whose probability is below min_p times the top token's probability."""
    if min_p <= 0.0:
        return logits
    probs = softmax(logits)
    keep = probs >= min_p * probs.max()
    return np.where(keep, logits, NEG_INF)


def typical_filter(logits: np.ndarray, typical_p: float) -> np.ndarray:
    """Keep tokens whose surprise (-log p) is closest to the entropy, up to typical_p mass."""
    if typical_p >= 1.0:
        return logits
    log_probs = log_softmax(logits)
    probs = np.exp(log_probs)
    finite = np.isfinite(log_probs)
    entropy = -np.sum(probs[finite] * log_probs[finite])
    distance = np.where(finite, np.abs(-log_probs - entropy), np.inf)

    order = np.argsort(distance, kind="stable")
    cumulative = np.cumsum(probs[order])
    count = 1 if typical_p <= 0 else int(np.searchsorted(cumulative, typical_p)) + 1
    kept = np.full(len(logits), NEG_INF)
    chosen = order[:count]
    kept[chosen] = logits[chosen]
    return kept


def filtered_logits(logits: np.ndarray, options: SamplingOptions,
                    previous_ids=()) -> np.ndarray:
    """The logits sampling draws from, after the penalty, temperature and every filter."""
    result = apply_repetition_penalty(np.asarray(logits, dtype=np.float64), previous_ids,
                                      options.repetition_penalty)
    result = apply_temperature(result, options.temperature)
    result = top_k_filter(result, options.top_k)
    result = top_p_filter(result, options.top_p)
    result = typical_filter(result, options.typical_p)
    return min_p_filter(result, options.min_p)


def greedy_token(logits: np.ndarray, previous_ids=(), repetition_penalty: float = 1.0) -> int:
    """The single most likely token (after the repetition penalty, if any)."""
    return int(np.argmax(apply_repetition_penalty(logits, previous_ids, repetition_penalty)))


class Sampler:
    """Draws next tokens with one options set and its own seeded random generator."""

    def __init__(self, options: SamplingOptions):
        self.options = options
        self._rng = np.random.default_rng(options.seed)

    def distribution(self, logits: np.ndarray, previous_ids=()) -> np.ndarray:
        """The probabilities the next token is drawn from."""
        return softmax(filtered_logits(logits, self.options, previous_ids))

    def next_token(self, logits: np.ndarray, previous_ids=()) -> int:
        """One token id drawn from the filtered distribution."""
        if self.options.is_greedy:
            # Exactly the greedy choice, with no draw, so greedy settings give greedy text.
            return greedy_token(logits, previous_ids, self.options.repetition_penalty)
        probs = self.distribution(logits, previous_ids)
        return int(self._rng.choice(len(probs), p=probs))


def top_tokens(probs: np.ndarray, count: int) -> list[tuple[int, float]]:
    """The `count` most probable token ids with their probabilities, most probable first."""
    count = max(0, min(count, len(probs)))
    if count == 0:
        return []
    candidates = np.argpartition(-probs, count - 1)[:count]
    ordered = candidates[np.argsort(-probs[candidates], kind="stable")]
    return [(int(i), float(probs[i])) for i in ordered]
