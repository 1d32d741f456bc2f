"""The revenue desk's statistics against values known in closed form or published tables."""

from __future__ import annotations

import math

import pytest

from paywall.services.stats import probability_to_beat, rate, wilson_interval


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3 (score)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (5, 10, 0.2366, 0.7634),
    ],
)
def test_wilson_interval_matches_published_values(successes, trials, low, high):
    lo, hi = wilson_interval(successes, trials)
    assert lo == pytest.approx(low, abs=6e-5) and hi == pytest.approx(high, abs=6e-5)


def test_wilson_interval_without_trials_is_none_and_rate_without_denominator_is_none():
    assert wilson_interval(0, 0) is None
    assert rate(3, 0) is None and rate(1, 4) == 0.25


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((1, 1), (0, 1), 1 / 6),  # A ~ Beta(2, 1), B ~ Beta(1, 2): the integral of 2x(1-x)^2 dx
        ((0, 1), (1, 1), 5 / 6),  # the same pair the other way round
        ((3, 10), (3, 10), 0.5),  # identical arms
        ((0, 0 + 1), (0, 1), 0.5),
    ],
)
def test_probability_to_beat_matches_closed_form_integrals(a, b, expected):
    p = probability_to_beat(successes_a=a[0], trials_a=a[1], successes_b=b[0], trials_b=b[1])
    assert p == pytest.approx(expected, abs=1e-12)


def test_probability_to_beat_matches_numerical_integration():
    # P(B > A) = integral of f_B(y) * F_A(y) dy, by the midpoint rule on a fine grid
    sa, na, sb, nb = 12, 100, 20, 100
    n = 20000

    def density(x, s, t):
        return math.exp((s) * math.log(x) + (t - s) * math.log(1 - x) - _log_beta(s + 1, t - s + 1))

    xs = [(i + 0.5) / n for i in range(n)]
    cdf_a, total, acc = [], 0.0, 0.0
    for x in xs:
        acc += density(x, sa, na) / n
        cdf_a.append(acc)
    for x, fa in zip(xs, cdf_a, strict=True):
        total += density(x, sb, nb) * fa / n
    p = probability_to_beat(successes_a=sa, trials_a=na, successes_b=sb, trials_b=nb)
    assert p == pytest.approx(total, abs=2e-3)
    assert 0.9 < p < 0.97  # 20% against 12% on 100 each: B very probably better


def _log_beta(a, b):
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def test_probability_to_beat_is_none_without_readers_and_symmetric():
    assert probability_to_beat(successes_a=0, trials_a=0, successes_b=1, trials_b=2) is None
    p = probability_to_beat(successes_a=4, trials_a=50, successes_b=9, trials_b=60)
    q = probability_to_beat(successes_a=9, trials_a=60, successes_b=4, trials_b=50)
    assert p + q == pytest.approx(1.0, abs=1e-12)
