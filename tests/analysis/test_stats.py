"""Seed statistics against independent references: numpy's ddof=1 std, scipy's own Welch interval."""
import numpy as np
import pytest
from scipy import stats

from gans.analysis.stats import SeedStats, verdict, welch


def test_seed_stats_is_the_sample_std_and_a_t_interval():
    xs = [214.2, 230.0, 205.5, 221.1]
    s = SeedStats.of(xs)
    assert s.n == 4 and s.std == pytest.approx(np.std(xs, ddof=1))
    ref = stats.ttest_1samp(xs, 0).confidence_interval(0.95)
    assert (s.low, s.high) == pytest.approx((ref.low, ref.high))
    assert SeedStats.of([3.0]).std is None


def test_welch_matches_scipy_interval_and_p():
    a, b = [254.8, 289.0, 239.8], [214.2, 204.0, 216.5, 222.1]
    d = welch(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert d.p == pytest.approx(ref.pvalue) and (d.low, d.high) == pytest.approx((ci.low, ci.high))
    assert d.diff == pytest.approx(np.mean(a) - np.mean(b))


@pytest.mark.parametrize("a,b,sign,expected", [
    ([1, 2, 3], [10, 11, 12], -1, "holds"),
    ([1, 2, 3], [10, 11, 12], +1, "does not hold"),
    ([1, 5, 9], [2, 6, 10], -1, "inconclusive at n = 3, 3"),
])
def test_verdicts_can_come_out_each_way(a, b, sign, expected):
    assert verdict(welch(a, b), sign) == expected
