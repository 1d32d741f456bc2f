"""`probability_to_beat` at a busy site's counts: the sum runs over the fewest terms its symmetries allow, and above
EXACT_TERMS the normal approximation stays within 1e-5 of the exact sum (a year of paywall views took 11 s per
experiment with the plain sum; bench/RESULTS.md)."""

from __future__ import annotations

import random
import time

import pytest

from paywall.services.stats import EXACT_TERMS, probability_to_beat


def test_the_symmetric_sums_agree_with_the_plain_one():
    rng = random.Random(16)
    for _ in range(200):
        na, nb = rng.randint(1, 300), rng.randint(1, 300)
        sa, sb = rng.randint(0, na), rng.randint(0, nb)
        fewest = probability_to_beat(successes_a=sa, trials_a=na, successes_b=sb, trials_b=nb)
        plain = 1 - probability_to_beat(successes_a=sb, trials_a=nb, successes_b=sa, trials_b=na)
        assert fewest == pytest.approx(plain, abs=1e-9)


@pytest.mark.parametrize(
    "sa, na, sb, nb",
    [(5001, 60000, 5200, 60000), (5001, 20000, 5100, 20000), (6000, 12000, 6100, 12100), (5001, 400000, 5300, 400000)],
)
def test_the_normal_approximation_is_within_1e5_of_the_exact_sum_from_the_threshold_on(sa, na, sb, nb):
    assert min(sa, sb, na - sa, nb - sb) + 1 > EXACT_TERMS
    exact = probability_to_beat(successes_a=sa, trials_a=na, successes_b=sb, trials_b=nb, exact_terms=10**9)
    approximated = probability_to_beat(successes_a=sa, trials_a=na, successes_b=sb, trials_b=nb)
    assert approximated == pytest.approx(exact, abs=1e-5)


def test_millions_of_conversions_answer_at_once():
    started = time.perf_counter()
    p = probability_to_beat(successes_a=3_000_000, trials_a=15_000_000, successes_b=3_010_000, trials_b=15_000_000)
    assert time.perf_counter() - started < 0.05
    assert 0.99 < p < 1
