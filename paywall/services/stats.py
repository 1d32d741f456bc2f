"""The statistics of the revenue desk, in closed form (no sampling, so the same figures every time).

- `wilson_interval`: the 95% Wilson score interval of a proportion (good at small counts and at 0 or n, where
  the normal approximation fails).
- `probability_to_beat`: the Beta-Binomial posterior probability that arm B's true rate exceeds arm A's, with a
  uniform Beta(1, 1) prior on each: P(p_B > p_A) for p_A ~ Beta(1 + s_A, 1 + f_A), p_B ~ Beta(1 + s_B, 1 + f_B),
  computed exactly with the closed-form sum for integer parameters (Evan Miller, "Formulas for Bayesian A/B
  testing"), in log space, over at most EXACT_TERMS terms; beyond, with the normal approximation of the two
  posteriors (within 1e-5 of the exact sum there, and closer the larger the counts).
"""

from __future__ import annotations

import math

Z_95 = 1.959963984540054


def rate(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, None when the denominator is 0."""
    return numerator / denominator if denominator else None


def wilson_interval(successes: int, trials: int, *, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval (95% by default) of successes / trials; None without trials."""
    if trials <= 0:
        return None
    successes = min(max(successes, 0), trials)
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


# The exact sum has as many terms as the smallest of the four Beta parameters (about the conversions, or the
# non-conversions, of the smaller arm): a paywall rate over a year of a busy site has millions, and took 11 s per
# experiment (bench/RESULTS.md, 2026-12-03). Above this many terms the posteriors are normal to within far less
# than the probability's displayed precision (checked against the exact sum in tests/paywall/analytics/test_stats.py).
EXACT_TERMS = 5000


def _normal_beats(alpha_a: float, beta_a: float, alpha_b: float, beta_b: float) -> float:
    """P(p_B > p_A) with each Beta posterior replaced by the normal of the same mean and variance."""

    def moments(a: float, b: float) -> tuple[float, float]:
        n = a + b
        return a / n, a * b / (n * n * (n + 1))

    mean_a, var_a = moments(alpha_a, beta_a)
    mean_b, var_b = moments(alpha_b, beta_b)
    return 0.5 * math.erfc(-(mean_b - mean_a) / math.sqrt(2 * (var_a + var_b)))


def _exact_beats(alpha_a: int, beta_a: int, alpha_b: int, beta_b: int) -> float:
    """P(p_B > p_A), exact: sum over i < alpha_B of B(alpha_A + i, beta_A + beta_B) / ((beta_B + i) B(1 + i, beta_B)
    B(alpha_A, beta_A)), in log space; alpha_B terms."""
    base = _log_beta(alpha_a, beta_a)
    total = 0.0
    for i in range(alpha_b):
        total += math.exp(
            _log_beta(alpha_a + i, beta_a + beta_b) - math.log(beta_b + i) - _log_beta(1 + i, beta_b) - base
        )
    return total


def probability_to_beat(
    *, successes_a: int, trials_a: int, successes_b: int, trials_b: int, exact_terms: int = EXACT_TERMS
) -> float | None:
    """P(rate of B > rate of A) under independent Beta(1, 1) priors; None when either arm has no trials.

    alpha = 1 + successes, beta = 1 + failures. Exact (`_exact_beats`) over the fewest terms the symmetries allow:
    P(B > A) = 1 - P(A > B) (ties have probability 0) and P(p_B > p_A) = P(1 - p_A > 1 - p_B), where 1 - p ~
    Beta(beta, alpha); so the sum runs min(alpha_A, alpha_B, beta_A, beta_B) times. When that is above
    `exact_terms`, the normal approximation of the two posteriors (`_normal_beats`)."""
    if trials_a <= 0 or trials_b <= 0:
        return None
    alpha_a, beta_a = 1 + successes_a, 1 + trials_a - successes_a
    alpha_b, beta_b = 1 + successes_b, 1 + trials_b - successes_b
    fewest = min(alpha_a, alpha_b, beta_a, beta_b)
    if fewest > exact_terms:
        p = _normal_beats(alpha_a, beta_a, alpha_b, beta_b)
    elif fewest == alpha_b:
        p = _exact_beats(alpha_a, beta_a, alpha_b, beta_b)
    elif fewest == alpha_a:
        p = 1.0 - _exact_beats(alpha_b, beta_b, alpha_a, beta_a)
    elif fewest == beta_a:  # P(1 - p_A > 1 - p_B): "B beats A" on the failures, A's failures summed over
        p = _exact_beats(beta_b, alpha_b, beta_a, alpha_a)
    else:
        p = 1.0 - _exact_beats(beta_a, alpha_a, beta_b, alpha_b)
    return min(1.0, max(0.0, p))
