"""Beam search on a hand-made Markov 'model' whose best text greedy decoding misses."""

import numpy as np
import pytest

from inference.beam_search import MAX_BEAMS, BeamOptions, beam_search, clamp_beams
from inference.errors import InvalidSettingError

EOS = 0
# Tokens: 0 = end, 1 = "A", 2 = "B", 3..5 = continuations. Next-token probabilities depend on
# the last token only. Greedy takes A (0.55) whose next token is spread thin; B (0.45) leads
# to 5 almost surely, so "B 5" (0.45 * 0.96) beats any "A x" (0.55 * 0.34).
TABLE = np.full((6, 6), 1e-6)
TABLE[:, EOS] = 1e-6
START = np.array([1e-6, 0.55, 0.45, 1e-6, 1e-6, 1e-6])
TABLE[1] = [0.01, 1e-6, 1e-6, 0.33, 0.33, 0.33]
TABLE[2] = [0.01, 1e-6, 1e-6, 0.015, 0.015, 0.96]
for token in (3, 4, 5):
    TABLE[token] = [0.97, 0.01, 0.01, 0.003, 0.003, 0.004]


def logprobs(rows: np.ndarray) -> np.ndarray:
    return np.log(rows / rows.sum(axis=-1, keepdims=True))


def run(options: BeamOptions, max_new_tokens: int = 5, should_stop=lambda: False):
    calls = []

    def step(tokens, parents):
        calls.append((tokens.tolist(), parents.tolist()))
        return logprobs(TABLE[tokens])

    result = beam_search(logprobs(START), step, options=options, max_new_tokens=max_new_tokens,
                         eos_ids={EOS}, should_stop=should_stop)
    return result, calls


def test_width_one_is_greedy_and_width_two_finds_the_better_text():
    greedy, _ = run(BeamOptions(num_beams=1, n_best=1))
    assert greedy.hypotheses[0].token_ids[:2] in ([1, 3], [1, 4], [1, 5])

    best, _ = run(BeamOptions(num_beams=2, n_best=2))
    assert best.hypotheses[0].token_ids == [2, 5, EOS]
    assert best.hypotheses[0].finished


def test_n_best_is_sorted_by_score_with_length_normalized_scores():
    result, _ = run(BeamOptions(num_beams=3, n_best=3, length_penalty=1.0))
    scores = [h.score for h in result.hypotheses]
    assert scores == sorted(scores, reverse=True) and len(scores) == 3
    for hypothesis in result.hypotheses:
        assert hypothesis.score == pytest.approx(hypothesis.logprob / len(hypothesis.token_ids))


def test_parents_reorder_the_callers_cache():
    _, calls = run(BeamOptions(num_beams=2, n_best=2))
    first_tokens, first_parents = calls[0]
    # Both beams come from the single prompt row at the first step.
    assert sorted(first_tokens) == [1, 2] and first_parents == [0, 0]


def test_max_new_tokens_cuts_running_beams_and_marks_them_unfinished():
    result, _ = run(BeamOptions(num_beams=2, n_best=2), max_new_tokens=1)
    assert all(len(h.token_ids) == 1 and not h.finished for h in result.hypotheses)


def test_should_stop_ends_the_search_early():
    result, calls = run(BeamOptions(num_beams=2), max_new_tokens=50, should_stop=lambda: True)
    assert calls == [] and len(result.hypotheses[0].token_ids) == 1


def test_early_stopping_off_still_finishes():
    result, _ = run(BeamOptions(num_beams=2, early_stopping=False, n_best=2))
    assert result.hypotheses[0].token_ids == [2, 5, EOS]


@pytest.mark.parametrize("requested, vocab, width", [(4, 100, 4), (100_000, 50_000, MAX_BEAMS),
                                                    (10, 3, 3)])
def test_too_many_beams_are_clamped_with_a_note(requested, vocab, width):
    clamped, notes = clamp_beams(requested, vocab)
    assert clamped == width
    assert bool(notes) == (requested != width)


def test_zero_beams_is_an_error():
    with pytest.raises(InvalidSettingError, match="num_beams"):
        clamp_beams(0, 10)
