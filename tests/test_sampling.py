"""Decoding filters on hand-made logits: each definition, each edge value, never NaN."""

import math

import numpy as np
import pytest

from inference.errors import InvalidSettingError
from inference.sampling import (Sampler, SamplingOptions, apply_repetition_penalty,
                                apply_temperature, min_p_filter, softmax, top_k_filter,
                                top_p_filter, top_tokens, typical_filter)

# Probabilities 0.5, 0.25, 0.125, 0.0625, 0.0625 in token order.
LOGITS = np.log(np.array([0.5, 0.25, 0.125, 0.0625, 0.0625]))


def kept(logits: np.ndarray) -> list[int]:
    return [int(i) for i in np.flatnonzero(np.isfinite(logits))]


def test_softmax_ignores_removed_tokens_and_sums_to_one():
    probs = softmax(np.array([1.0, -np.inf, 1.0]))
    assert probs.tolist() == [0.5, 0.0, 0.5]


@pytest.mark.parametrize("k, expected", [(1, [0]), (2, [0, 1]), (0, [0, 1, 2, 3, 4]),
                                         (5, [0, 1, 2, 3, 4]), (10**6, [0, 1, 2, 3, 4])])
def test_top_k_keeps_the_k_likeliest(k, expected):
    assert kept(top_k_filter(LOGITS, k)) == expected


def test_top_k_breaks_ties_by_rank_not_by_threshold():
    assert kept(top_k_filter(np.zeros(6), 2)) == [0, 1]


@pytest.mark.parametrize("p, expected", [(0.0, [0]), (0.5, [0]), (0.6, [0, 1]),
                                         (0.75, [0, 1]), (0.8, [0, 1, 2]),
                                         (1.0, [0, 1, 2, 3, 4])])
def test_top_p_keeps_the_smallest_nucleus(p, expected):
    assert kept(top_p_filter(LOGITS, p)) == expected


@pytest.mark.parametrize("min_p, expected", [(0.0, [0, 1, 2, 3, 4]), (0.25, [0, 1, 2]),
                                             (0.5, [0, 1]), (1.0, [0])])
def test_min_p_is_relative_to_the_best_token(min_p, expected):
    assert kept(min_p_filter(LOGITS, min_p)) == expected


def test_typical_keeps_tokens_nearest_the_entropy_first():
    # The entropy is 1.2997 nats; surprises (-log p) are 0.693, 1.386, 2.079, 2.773, 2.773,
    # so token 1 is nearest, then token 0, then token 2.
    assert kept(typical_filter(LOGITS, 0.0)) == [1]
    assert kept(typical_filter(LOGITS, 0.25)) == [1]
    assert kept(typical_filter(LOGITS, 0.3)) == [0, 1]
    assert kept(typical_filter(LOGITS, 0.8)) == [0, 1, 2]
    assert kept(typical_filter(LOGITS, 1.0)) == [0, 1, 2, 3, 4]


def test_temperature_zero_keeps_only_the_best_and_others_rescale():
    assert kept(apply_temperature(LOGITS, 0.0)) == [0]
    sharper = softmax(apply_temperature(LOGITS, 0.5))
    flatter = softmax(apply_temperature(LOGITS, 2.0))
    assert sharper[0] > 0.5 > flatter[0]


@pytest.mark.parametrize("logit", [3.0, 0.0, -3.0])
def test_repetition_penalty_lowers_a_repeated_token_whatever_its_sign(logit):
    logits = np.array([logit, 1.0, -1.0])
    before = softmax(logits)[0]
    after = softmax(apply_repetition_penalty(logits, [0, 0], 1.5))[0]
    assert after < before
    # The odds against every unpenalized token fall by exactly the penalty.
    assert math.isclose(before / (1 - before) / (after / (1 - after)), 1.5, rel_tol=1e-9)


def test_penalty_of_one_changes_nothing():
    assert apply_repetition_penalty(LOGITS, [0, 1], 1.0) is LOGITS


@pytest.mark.parametrize("options", [
    SamplingOptions(temperature=0.0), SamplingOptions(top_p=0.0), SamplingOptions(top_k=1),
    SamplingOptions(temperature=100.0, top_p=0.0), SamplingOptions(min_p=1.0, temperature=5.0),
])
def test_settings_that_leave_one_token_always_pick_the_best(options):
    rng = np.random.default_rng(0)
    for _ in range(20):
        logits = rng.normal(size=50)
        assert Sampler(options).next_token(logits) == int(np.argmax(logits))


def test_extreme_settings_give_valid_distributions():
    logits = np.random.default_rng(1).normal(scale=30, size=1000)
    for options in [SamplingOptions(temperature=100.0), SamplingOptions(temperature=1e-6),
                    SamplingOptions(top_k=10**9, top_p=1e-9, min_p=0.999, typical_p=1e-9),
                    SamplingOptions(repetition_penalty=1000.0)]:
        probs = Sampler(options).distribution(logits, previous_ids=list(range(500)))
        assert np.all(np.isfinite(probs)) and math.isclose(probs.sum(), 1.0)


def test_same_seed_same_draws_and_different_seed_differs():
    logits = np.zeros(1000)
    first = Sampler(SamplingOptions(seed=7))
    second = Sampler(SamplingOptions(seed=7))
    other = Sampler(SamplingOptions(seed=8))
    run = [first.next_token(logits) for _ in range(20)]
    assert run == [second.next_token(logits) for _ in range(20)]
    assert run != [other.next_token(logits) for _ in range(20)]


def test_sampling_follows_the_filtered_distribution():
    sampler = Sampler(SamplingOptions(seed=0, top_k=2))
    counts = np.bincount([sampler.next_token(LOGITS) for _ in range(3000)], minlength=5)
    assert counts[2:].sum() == 0
    assert abs(counts[0] / 3000 - 2 / 3) < 0.03


@pytest.mark.parametrize("field, value", [("temperature", -0.1), ("top_p", 1.5),
                                          ("min_p", -1.0), ("typical_p", 2.0),
                                          ("repetition_penalty", 0.5), ("top_k", -1),
                                          ("temperature", float("nan"))])
def test_out_of_range_settings_name_the_value_and_the_range(field, value):
    with pytest.raises(InvalidSettingError, match=field):
        SamplingOptions(**{field: value})


def test_top_tokens_are_sorted_and_bounded():
    probs = softmax(LOGITS)
    assert [i for i, _ in top_tokens(probs, 3)] == [0, 1, 2]
    assert len(top_tokens(probs, 100)) == 5
    assert top_tokens(probs, 0) == []
