"""Seed statistics against independent references: numpy's ddof=1 std, scipy's own Welch interval."""
import numpy as np
import pytest
from scipy import stats

from gans.analysis.stats import SeedStats, holm, verdict, welch


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


def _holm_rejects(ps, alpha):
    """Holm's procedure as its paper states it: walk the p-values upwards, reject while
    p_(i) <= alpha / (m - i + 1), stop at the first that is not."""
    order = sorted(range(len(ps)), key=ps.__getitem__)
    rejected = set()
    for rank, i in enumerate(order):
        if ps[i] > alpha / (len(ps) - rank):
            break
        rejected.add(i)
    return rejected


@pytest.mark.parametrize("seed", range(20))
def test_holm_adjusted_p_rejects_exactly_what_the_step_down_procedure_rejects(seed):
    ps = list(np.random.default_rng(seed).uniform(0, 0.1, size=1 + seed % 5))
    adjusted = holm(ps)
    for alpha in np.linspace(0.001, 0.2, 200):
        assert {i for i, q in enumerate(adjusted) if q <= alpha} == _holm_rejects(ps, alpha)


def test_holm_keeps_untested_entries_and_a_single_test_unchanged():
    assert holm([0.01, None, 0.04]) == [pytest.approx(0.02), None, pytest.approx(0.04)]
    assert holm([0.03]) == [pytest.approx(0.03)] and holm([0.6, 0.7]) == [1.0, 1.0]


# Defects found in review (issue 28): each of these failed before the fix.
def test_welch_takes_p_from_the_same_finite_values_as_its_interval():
    a, b = [254.8, 289.0, 239.8, float("nan")], [214.2, 204.0, 216.5, 222.1, None]
    d = welch(a, b)
    ref = stats.ttest_ind([254.8, 289.0, 239.8], [214.2, 204.0, 216.5, 222.1], equal_var=False)
    assert d.p == pytest.approx(ref.pvalue) and (d.n_a, d.n_b) == (3, 4)
    assert (d.excluded_a, d.excluded_b) == (1, 1)


def test_a_diverged_run_is_counted_not_hidden():
    s = SeedStats.of([1.0, float("inf"), 2.0, float("nan")])
    assert (s.n, s.excluded) == (2, 2)


def test_holm_treats_nan_as_untested_instead_of_corrupting_the_family():
    assert holm([0.04, float("nan"), 0.01, 0.03]) == [pytest.approx(0.06), None, pytest.approx(0.03), pytest.approx(0.06)]


def test_two_groups_without_variance_are_inconclusive_not_significant():
    d = welch([3.0, 3.0, 3.0], [5.0, 5.0, 5.0])
    assert d.p is None and not d.significant and d.reason == "no variance"
    assert verdict(d, -1) == "inconclusive (no variance)"


def test_constants_whose_mean_does_not_round_exactly_are_still_no_variance():
    d = welch([0.1] * 3, [0.2] * 3)  # the std of [0.1] * 3 rounds to about 1e-17, not 0
    assert d.p is None and d.reason == "no variance"
