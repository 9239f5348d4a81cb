"""Beam search over any model step function, in numpy: width, length penalty, early stopping."""

import logging
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from inference.errors import InvalidSettingError
from inference.sampling import apply_repetition_penalty, log_softmax

log = logging.getLogger(__name__)

MAX_BEAMS = 16
MAX_LENGTH_PENALTY = 10.0

# step(token_ids, parent_rows) -> log-probabilities (beams, vocab) for the next position, where
# token_ids are the tokens just chosen for each new beam and parent_rows the beam each one
# extends (the caller reorders its key/value cache by them).
StepFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class BeamOptions:
    """Beam search settings.

    num_beams: how many partial texts are kept at each step; clamped to MAX_BEAMS and to the
        vocabulary size, with a note saying so.
    length_penalty: the score is the summed log-probability divided by length ** this; above 0
        favours longer texts, below 0 shorter ones.
    early_stopping: stop as soon as num_beams texts have ended; otherwise go on while a running
        beam could still beat the worst finished one.
    n_best: how many finished texts to return.
    """

    num_beams: int = 4
    length_penalty: float = 1.0
    early_stopping: bool = True
    n_best: int = 4

    def __post_init__(self):
        if not -MAX_LENGTH_PENALTY <= self.length_penalty <= MAX_LENGTH_PENALTY:
            raise InvalidSettingError(
                f"length_penalty must be between -{MAX_LENGTH_PENALTY} and "
                f"{MAX_LENGTH_PENALTY}; got {self.length_penalty}. 1 is neutral; beyond a few "
                "units one length wins whatever the text says.")


@dataclass
class Hypothesis:
    """One finished (or cut-off) beam."""

    token_ids: list[int]
    token_logprobs: list[float]
    score: float
    finished: bool

    @property
    def logprob(self) -> float:
        return float(sum(self.token_logprobs))


@dataclass
class BeamResult:
    hypotheses: list[Hypothesis]
    notes: list[str] = field(default_factory=list)


def clamp_beams(requested: int, vocab_size: int) -> tuple[int, list[str]]:
    """A beam width that makes sense, and a note when the request had to change."""
    if requested < 1:
        raise InvalidSettingError(f"num_beams must be at least 1; got {requested}.")
    limit = min(MAX_BEAMS, vocab_size)
    if requested <= limit:
        return requested, []
    note = (f"num_beams {requested} is more than makes sense here; using {limit} "
            f"(the most beams Glassbox runs at once is {MAX_BEAMS}).")
    log.info(note)
    return limit, [note]


def _score(logprob: float, length: int, length_penalty: float) -> float:
    return logprob / (max(length, 1) ** length_penalty)


class _Finished:
    """The best `size` finished hypotheses seen so far."""

    def __init__(self, size: int, length_penalty: float):
        self.size = size
        self.length_penalty = length_penalty
        self.items: list[Hypothesis] = []

    def add(self, token_ids: list[int], token_logprobs: list[float]) -> None:
        score = _score(sum(token_logprobs), len(token_ids), self.length_penalty)
        self.items.append(Hypothesis(token_ids, token_logprobs, score, finished=True))
        self.items.sort(key=lambda h: h.score, reverse=True)
        del self.items[self.size:]

    def is_full(self) -> bool:
        return len(self.items) >= self.size

    def worst_score(self) -> float:
        return self.items[-1].score if self.items else -np.inf


def beam_search(first_logprobs: np.ndarray, step: StepFunction, *, options: BeamOptions,
                max_new_tokens: int, eos_ids: set[int], repetition_penalty: float = 1.0,
                prompt_ids=(), should_stop: Callable[[], bool] = lambda: False) -> BeamResult:
    """Search for the most probable continuations.

    first_logprobs: (vocab,) log-probabilities after the prompt.
    Returns the n-best hypotheses, best score first; beams still running when max_new_tokens or
    should_stop() ended the search compete too, marked finished=False.
    """
    vocab = first_logprobs.shape[-1]
    width, notes = clamp_beams(options.num_beams, vocab)
    finished = _Finished(width, options.length_penalty)

    beams_ids: list[list[int]] = [[]]
    beams_lps: list[list[float]] = [[]]
    logprobs = first_logprobs[None, :]
    for position in range(max_new_tokens):
        logprobs = _penalized(logprobs, beams_ids, prompt_ids, repetition_penalty)
        totals = np.array([sum(lps) for lps in beams_lps])[:, None] + logprobs
        candidates = np.argsort(-totals, axis=None, kind="stable")[: 2 * width]

        next_ids, next_lps, parents, tokens = [], [], [], []
        for rank, flat in enumerate(candidates):
            row, token = divmod(int(flat), vocab)
            ids = beams_ids[row] + [token]
            lps = beams_lps[row] + [float(logprobs[row, token])]
            if token in eos_ids:
                if rank < width:
                    finished.add(ids, lps)
                continue
            next_ids.append(ids)
            next_lps.append(lps)
            parents.append(row)
            tokens.append(token)
            if len(next_ids) == width:
                break

        beams_ids, beams_lps = next_ids, next_lps
        if _done(finished, beams_lps, position + 1, options) or should_stop() or not beams_ids:
            break
        if position + 1 < max_new_tokens:
            logprobs = step(np.array(tokens, dtype=np.int64), np.array(parents, dtype=np.int64))

    return BeamResult(_best(finished, beams_ids, beams_lps, options), notes)


def _penalized(logprobs: np.ndarray, beams_ids, prompt_ids, penalty: float) -> np.ndarray:
    if penalty == 1.0:
        return logprobs
    rows = [apply_repetition_penalty(row, list(prompt_ids) + ids, penalty)
            for row, ids in zip(logprobs, beams_ids)]
    return log_softmax(np.stack(rows))


def _done(finished: _Finished, beams_lps, length: int, options: BeamOptions) -> bool:
    if not finished.is_full():
        return False
    if options.early_stopping:
        return True
    # A running beam's score can only fall as it grows when the penalty is >= 0, so its
    # current score bounds what it could still reach.
    best_running = max(_score(sum(lps), length, options.length_penalty) for lps in beams_lps)
    return best_running < finished.worst_score()


def _best(finished: _Finished, beams_ids, beams_lps, options: BeamOptions) -> list[Hypothesis]:
    hypotheses = list(finished.items)
    for ids, lps in zip(beams_ids, beams_lps):
        score = _score(sum(lps), len(ids), options.length_penalty)
        hypotheses.append(Hypothesis(ids, lps, score, finished=False))
    hypotheses.sort(key=lambda h: h.score, reverse=True)
    return hypotheses[: max(1, options.n_best)]
