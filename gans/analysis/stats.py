"""Statistics over seeds: what every table and verdict of the toolkit reports.

Seeds are few (3-5), so every spread is the sample standard deviation (ddof=1), every interval a
Student-t interval, and every comparison between two systems Welch's t-test (unequal variances),
all from scipy. A verdict is "holds" or "does not hold" only when the test says the difference is
significant at ``ALPHA`` in the stated direction (resp. the opposite one); otherwise it is
"inconclusive at n = ...". Non-finite values (a diverged run) are dropped in one place, ``finite``,
and counted, so every table can show how many runs a number left out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

ALPHA = 0.05


def finite(values: Sequence[float | None]) -> tuple[list[float], int]:
    """The finite values and how many were not (a diverged run's NaN or inf, a missing None): the one
    place every statistic drops them, so a test and its interval always see the same seeds and the
    count of what was left out can be shown beside them."""
    xs = [float(v) for v in values if v is not None and math.isfinite(v)]
    return xs, len(values) - len(xs)


@dataclass(frozen=True)
class SeedStats:
    """Mean, sample std (ddof=1) and a 95% t-interval of one quantity over n seeds."""

    n: int
    mean: float
    std: float | None  # None for n = 1
    low: float | None  # 95% interval of the mean; None for n = 1
    high: float | None
    excluded: int = 0  # values left out as not finite (diverged runs) or missing

    @classmethod
    def of(cls, values: Sequence[float | None]) -> "SeedStats":
        from scipy import stats

        xs, excluded = finite(values)
        if not xs:
            raise ValueError("no finite values")
        n, mean = len(xs), sum(xs) / len(xs)
        if n == 1:
            return cls(1, mean, None, None, None, excluded)
        std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
        half = float(stats.t.ppf(1 - ALPHA / 2, n - 1)) * std / math.sqrt(n)
        return cls(n, mean, std, mean - half, mean + half, excluded)


@dataclass(frozen=True)
class Difference:
    """A - B over seeds: the difference of means, its 95% Welch interval and the two-sided p-value."""

    n_a: int
    n_b: int
    diff: float
    low: float | None
    high: float | None
    p: float | None
    excluded_a: int = 0  # non-finite values left out of A (diverged runs), shown beside the test
    excluded_b: int = 0
    reason: str = ""  # why no test ran: "n < 2" or "no variance" (both groups constant: nothing to test)

    @property
    def significant(self) -> bool:
        return self.p is not None and self.p < ALPHA


def welch(a: Sequence[float], b: Sequence[float]) -> Difference:
    """Welch's t-test of mean(a) - mean(b), with the Welch-Satterthwaite interval."""
    from scipy import stats

    (xa, ea), (xb, eb) = finite(a), finite(b)
    if len(xa) < 2 or len(xb) < 2:  # no test; with no finite value on a side, not even a difference
        diff = sum(xa) / len(xa) - sum(xb) / len(xb) if xa and xb else math.nan
        return Difference(len(xa), len(xb), diff, None, None, None, ea, eb, "n < 2")
    sa, sb = SeedStats.of(xa), SeedStats.of(xb)
    diff = sa.mean - sb.mean
    if min(xa) == max(xa) and min(xb) == max(xb):  # constants: a difference is no evidence of anything
        # (tested by value: the std of equal values can round to 1e-17 and make any gap "significant")
        return Difference(sa.n, sb.n, diff, None, None, None, ea, eb, "no variance")
    va, vb = sa.std**2 / sa.n, sb.std**2 / sb.n
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (sa.n - 1) + vb**2 / (sb.n - 1))
    half = float(stats.t.ppf(1 - ALPHA / 2, df)) * se
    p = float(stats.ttest_ind(xa, xb, equal_var=False).pvalue)
    return Difference(sa.n, sb.n, diff, diff - half, diff + half, p, ea, eb)


def holm(ps: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of a family of p-values (None where no test ran): a table that
    tests k systems against one baseline makes k tests, and Holm keeps the chance of any false
    "significant" among them at ``ALPHA`` without assuming the tests independent."""
    tested = sorted((p, i) for i, p in enumerate(ps) if p is not None and math.isfinite(p))
    out: list[float | None] = [None] * len(ps)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        out[i] = running
    return out


def verdict(d: Difference, expected_sign: int) -> str:
    """'holds' when the difference is significant with the claimed sign (+1: A > B, -1: A < B),
    'does not hold' when significant the other way, else 'inconclusive at n = a, b'."""
    if d.significant and math.copysign(1, d.diff) == expected_sign:
        return "holds"
    if d.significant:
        return "does not hold"
    if d.reason == "no variance":
        return "inconclusive (no variance)"
    return f"inconclusive at n = {d.n_a}, {d.n_b}"
