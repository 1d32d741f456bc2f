"""The statistics of the revenue desk, in closed form (no sampling, so the same figures every time).

- `wilson_interval`: the 95% Wilson score interval of a proportion (good at small counts and at 0 or n, where
  the normal approximation fails).
- `probability_to_beat`: the Beta-Binomial posterior probability that arm B's true rate exceeds arm A's, with a
  uniform Beta(1, 1) prior on each: P(p_B > p_A) for p_A ~ Beta(1 + s_A, 1 + f_A), p_B ~ Beta(1 + s_B, 1 + f_B),
  computed exactly with the closed-form sum for integer parameters (Evan Miller, "Formulas for Bayesian A/B
  testing"), in log space.
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


def probability_to_beat(*, successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> float | None:
    """P(rate of B > rate of A) under independent Beta(1, 1) priors; None when either arm has no trials.

    Exact: sum over i < alpha_B of B(alpha_A + i, beta_A + beta_B) / ((beta_B + i) B(1 + i, beta_B) B(alpha_A,
    beta_A)), alpha = 1 + successes, beta = 1 + failures. The loop runs alpha_B times (the conversions of B)."""
    if trials_a <= 0 or trials_b <= 0:
        return None
    alpha_a, beta_a = 1 + successes_a, 1 + trials_a - successes_a
    alpha_b, beta_b = 1 + successes_b, 1 + trials_b - successes_b
    base = _log_beta(alpha_a, beta_a)
    total = 0.0
    for i in range(alpha_b):
        total += math.exp(
            _log_beta(alpha_a + i, beta_a + beta_b) - math.log(beta_b + i) - _log_beta(1 + i, beta_b) - base
        )
    return min(1.0, max(0.0, total))
