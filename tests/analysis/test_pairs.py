"""Every pair of systems: Welch per pair against scipy, Holm over the pairs, verdicts both ways."""
import html
import itertools

import pytest
from scipy import stats

from gans.analysis.compare import compare
from gans.analysis.pairs import markdown as pairs_markdown
from gans.analysis.pairs import pairs
from gans.analysis.rundirs import load_runs
from gans.analysis.rows import table_rows
from gans.analysis.table import PAIRS_NOTE
from tests.analysis.fake_runs import write_run
from tests.analysis.test_stats import _holm_rejects

KID = {"a": [0.10, 0.11, 0.12], "b": [0.20, 0.21, 0.23], "c": [0.105, 0.13, 0.10]}


@pytest.fixture()
def rows(tmp_path):
    for system, values in KID.items():
        for seed, kid in enumerate(values):
            write_run(tmp_path / "runs", "sngan", seed, label=system, numbers={"fid": [50.0 + seed], "kid_mean": [kid]})
    return table_rows(load_runs([tmp_path / "runs"]))


def test_every_pair_is_welch_against_scipy_and_holm_over_the_pairs(rows):
    found = pairs(rows, "kid")
    assert [(p.a, p.b) for p in found] == list(itertools.combinations(["a", "b", "c"], 2))
    ps = [stats.ttest_ind(KID[p.b], KID[p.a], equal_var=False).pvalue for p in found]
    assert [p.difference.p for p in found] == pytest.approx(ps)
    for alpha in (0.01, 0.05):
        assert {i for i, p in enumerate(found) if p.p_holm <= alpha} == _holm_rejects(ps, alpha)
    verdicts = {(p.a, p.b): p.verdict() for p in found}
    assert verdicts[("a", "b")] == "a ahead of b" and verdicts[("b", "c")] == "c ahead of b"
    assert verdicts[("a", "c")] == "inconclusive at n = 3, 3"


def test_compare_writes_pairs_for_three_or_more_systems(rows, tmp_path):
    written = compare([tmp_path / "runs"], tmp_path / "out")
    text = written["pairs.md"].read_text()
    assert "## KID x1e3 (primary)" in text and "| a | b |" in text and "a ahead of b" in text
    # the table's baseline marks come from a smaller Holm family: both pages point to pairs.md's
    assert PAIRS_NOTE in written["table.md"].read_text() and html.escape(PAIRS_NOTE) in written["report.html"].read_text()


def test_without_pairs_the_table_does_not_point_to_them(tmp_path):
    for system, values in list(KID.items())[:2]:
        for seed, kid in enumerate(values):
            write_run(tmp_path / "runs", "sngan", seed, label=system, numbers={"fid": [50.0 + seed], "kid_mean": [kid]})
    written = compare([tmp_path / "runs"], tmp_path / "out")
    assert "pairs.md" not in written and "pairs.md" not in written["table.md"].read_text()


def test_a_diverged_seed_is_counted_beside_its_test_and_an_untestable_pair_stays_in_holms_family(tmp_path):
    kid = {"a": [0.10, 0.11, 0.12], "b": [0.20, 0.21, float("nan")], "dead": [float("nan")] * 3}
    for system, values in kid.items():
        for seed, k in enumerate(values):
            write_run(tmp_path / "runs", "sngan", seed, label=system, numbers={"fid": [50.0 + seed], "kid_mean": [k]})
    rows = table_rows(load_runs([tmp_path / "runs"]))
    found = {(p.a, p.b): p for p in pairs(rows, "kid")}
    assert set(found) == {("a", "b"), ("a", "dead"), ("b", "dead")}  # the dead system is named, not dropped
    ab = found[("a", "b")]
    assert (ab.difference.n_b, ab.difference.n_a, ab.difference.excluded_a) == (3, 2, 1)
    p = stats.ttest_ind([0.20, 0.21], [0.10, 0.11, 0.12], equal_var=False).pvalue
    assert ab.p_holm == pytest.approx(min(1.0, 3 * p))  # a family of 3 (the two untested at p = 1), not of 1
    assert found[("a", "dead")].p_holm is None and found[("a", "dead")].verdict() == "no test (n < 2)"
    text = compare([tmp_path / "runs"], tmp_path / "out")["pairs.md"].read_text()
    assert "| a | b | 3, 2 (B: 1 diverged, left out) |" in text and "p, Holm over 3" in text


def test_pairs_show_fid_at_each_sample_count_and_where_it_reorders_the_systems(tmp_path):
    # a's FID is higher at 500 samples (its bias larger) but lower extrapolated: the orders must differ
    curves = {"a": [[500, 130.0], [1000, 115.0], [2000, 107.5], [5000, 103.0]],
              "b": [[500, 120.0], [1000, 112.0], [2000, 108.0], [5000, 105.6]],
              "c": [[500, 140.0], [1000, 135.0], [2000, 132.5], [5000, 131.0]]}
    fid_inf = {"a": 100.0, "b": 104.0, "c": 130.0}
    for i, (system, curve) in enumerate(curves.items()):
        for seed in range(3):
            shifted = [[n, f + seed] for n, f in curve]  # seeds 0, 1, 2: the mean is the curve + 1
            write_run(tmp_path / "runs", "sngan", seed, label=system,
                      numbers={"fid": [shifted[-1][1]], "kid_mean": [0.1 * (i + 1) + seed / 100],
                               "fid_infinity": [fid_inf[system] + seed], "fid_curve": [shifted]})
    text = compare([tmp_path / "runs"], tmp_path / "out")["pairs.md"].read_text()
    assert "| system | FID at 500 | FID at 1,000 | FID at 2,000 | FID at 5,000 | FID∞ | KID x1e3 |" in text
    assert "| a | 131.0 | 116.0 | 108.5 | 104.0 | 101.0 | 110.0 |" in text
    assert "| FID at 500 | b < a < c |" in text and "| FID at 2,000 | a < b < c |" in text
    assert "| FID∞ | a < b < c |" in text and "| KID x1e3 | a < b < c |" in text


def test_a_system_with_no_number_at_some_sample_count_is_left_out_of_that_order(tmp_path):
    # c diverged on every seed: no FID curve, no FID∞, no KID; the others' orders still come out
    for i, system in enumerate(("a", "b")):
        for seed in range(3):
            write_run(tmp_path / "runs", "sngan", seed, label=system,
                      numbers={"fid": [30.0 + i + seed], "kid_mean": [0.02 + i / 100 + seed / 1000],
                               "fid_infinity": [20.0 + i + seed], "fid_curve": [[[1000, 30.0 + i], [5000, 25.0 + i]]]})
    for seed in range(3):
        run = write_run(tmp_path / "runs", "sngan", seed, label="c")
        (run / "diverged.txt").write_text("training diverged by step 3\n")
    text = compare([tmp_path / "runs"], tmp_path / "out")["pairs.md"].read_text()
    assert "| c | — | — | — | — |" in text
    assert "| FID at 1,000 | a < b |" in text and "| KID x1e3 | a < b |" in text


def test_the_learned_line_counts_a_diverged_seed_as_left_out(tmp_path):
    untrained = {"fid": [300.0], "kid_mean": [0.3], "fid_infinity": [290.0]}
    for seed, fid in ((1, 40.0), (2, float("nan")), (3, 60.0)):
        write_run(tmp_path, "sngan", seed, {"fid": [fid], "kid_mean": [0.02], "fid_infinity": [fid]}, untrained=untrained)
        write_run(tmp_path, "msngan", seed, {"fid": [50.0], "kid_mean": [0.03], "fid_infinity": [50.0]}, untrained=untrained)
    text = pairs_markdown(table_rows(load_runs([tmp_path])), stage="confirm")  # a stage's pairs.md has the bar
    assert "- sngan: every scored seed learned (worst 0.20, n = 2; 1 diverged, left out)" in text


def test_fid_by_sample_count_leaves_out_a_run_that_failed_in_its_score(tmp_path):
    # seed 2's FID∞ is NaN (it failed) while its curve has numbers: they must not enter a's means
    for system, base in (("a", 30.0), ("b", 40.0), ("c", 50.0)):
        for seed in range(3):
            broken = system == "a" and seed == 2
            write_run(tmp_path / "runs", "sngan", seed, label=system,
                      numbers={"fid": [base], "kid_mean": [base / 1000 + seed / 1e4],
                               "fid_infinity": [float("nan") if broken else base - 5 + seed],
                               "fid_curve": [[[1000, 999.0 if broken else base + seed], [5000, base]]]})
    text = compare([tmp_path / "runs"], tmp_path / "out")["pairs.md"].read_text()
    assert "| a | 30.5 | 30.0 |" in text  # seeds 0 and 1 only
