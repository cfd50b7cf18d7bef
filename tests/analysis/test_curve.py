import numpy as np
import pytest
from scipy import stats

from gans.analysis.compare import compare
from gans.analysis.curve import fid_by_step, markdown
from gans.analysis.rundirs import load_runs
from tests.analysis.fake_runs import write_run

POINT = {"draw": 0, "sample_seed": 2, "num_samples": 10}
# step -> system -> one FID per seed: at step 10 the two overlap, at step 20 sngan is far behind
FIDS = {10: {"msngan": [100.0, 110.0, 95.0], "sngan": [96.0, 98.0, 100.0]},
        20: {"msngan": [60.0, 61.0, 59.5], "sngan": [90.0, 92.0, 91.0]}}


@pytest.fixture
def runs(tmp_path):
    for system in ("msngan", "sngan"):
        for seed in range(3):
            write_run(tmp_path, system, seed,
                      evals=[{**POINT, "step": step, "fid": FIDS[step][system][seed]} for step in FIDS])
    return load_runs([tmp_path])


def _holm(ps):  # by hand: sort ascending, multiply the i-th smallest by (m - i), keep it non-decreasing
    order = np.argsort(ps)
    out, running = [0.0] * len(ps), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        out[i] = running
    return out


def test_each_step_matches_numpy_and_scipy(runs):
    rows = fid_by_step(runs, "msngan")
    assert [r.step for r in rows] == [10, 20]
    ps = []
    for r in rows:
        for system, fids in FIDS[r.step].items():
            assert r.fid[system].mean == pytest.approx(np.mean(fids))
            assert r.fid[system].std == pytest.approx(np.std(fids, ddof=1)) and r.fid[system].n == 3
        d = r.vs_baseline["sngan"]
        assert d.diff == pytest.approx(np.mean(FIDS[r.step]["sngan"]) - np.mean(FIDS[r.step]["msngan"]))
        assert d.p == pytest.approx(stats.ttest_ind(FIDS[r.step]["sngan"], FIDS[r.step]["msngan"],
                                                    equal_var=False).pvalue)
        assert "msngan" not in r.vs_baseline
        ps.append(d.p)
    assert [r.p_holm["sngan"] for r in rows] == pytest.approx(_holm(ps))


def test_the_table_marks_only_what_survives_holm_and_orders_the_means(runs):
    rows = fid_by_step(runs, "msngan")
    assert rows[0].p_holm["sngan"] > 0.05 and rows[1].p_holm["sngan"] < 0.05
    lines = markdown(rows, "msngan").splitlines()
    step10, step20 = (next(line for line in lines if line.startswith(f"| {s} |")) for s in (10, 20))
    assert step10.endswith(f"Holm {rows[0].p_holm['sngan']:.3f} |") and "sngan < msngan" in step10
    assert step20.endswith(" * |") and "msngan < sngan" in step20
    assert "| 20 | 60.2 ± 0.8 (n = 3) | 91.0 ± 1.0 (n = 3) |" in step20
    assert "over the table's 2 tests" in lines[-1]


def test_a_system_missing_at_a_step_is_a_dash_and_no_test(tmp_path):
    write_run(tmp_path, "msngan", 0, evals=[{**POINT, "step": 10, "fid": 90.0}])
    write_run(tmp_path, "sngan", 0, evals=[{**POINT, "step": 10, "fid": 80.0}, {**POINT, "step": 20, "fid": 70.0}])
    rows = fid_by_step(load_runs([tmp_path]), "msngan")
    assert rows[0].vs_baseline["sngan"].p is None and rows[1].vs_baseline == {}
    text = markdown(rows, "msngan")
    assert "| 10 | 90.0 (n = 1) | 80.0 (n = 1) | sngan < msngan | -10.0 (no test) |" in text
    assert "| 20 | — | 70.0 (n = 1) | sngan | — |" in text


def test_a_step_scored_twice_by_a_resumed_run_counts_once(tmp_path):
    write_run(tmp_path, "sngan", 0, evals=[{**POINT, "step": 10, "fid": 80.0}, {**POINT, "step": 10, "fid": 82.0}])
    (row,) = fid_by_step(load_runs([tmp_path]))
    assert row.fid["sngan"].n == 1 and row.fid["sngan"].mean == 82.0


def test_seeds_equal_to_the_baseline_are_not_tested(tmp_path):
    for system in ("msngan", "sngan"):  # one untrained generator per seed, shared by both systems
        for seed, fid in enumerate([500.0, 510.0]):
            write_run(tmp_path, system, seed, evals=[{**POINT, "step": 0, "fid": fid},
                                                     {**POINT, "step": 5, "fid": fid / (2 + (system == "sngan"))}])
    rows = fid_by_step(load_runs([tmp_path]), "msngan")
    assert rows[0].vs_baseline == {} and "sngan" in rows[1].vs_baseline
    assert "| 0 | 505.0 ± 7.1 (n = 2) | 505.0 ± 7.1 (n = 2) | msngan < sngan | equal |" in markdown(rows, "msngan")


def test_compare_writes_it_only_for_runs_scored_in_training(runs, tmp_path):
    assert "fid_by_step.md" in compare([r.path for r in runs], tmp_path / "with")
    bare = tmp_path / "bare"
    write_run(bare, "sngan", 0, numbers={"fid": [50.0]})
    assert "fid_by_step.md" not in compare([bare], tmp_path / "without")


def test_untrained_generators_that_differ_by_init_are_shown_not_tested(tmp_path):
    """Step 0 scores the init, not the critic: it stays out of Holm's family (it was counted before)."""
    for system, start in (("msngan", 500.0), ("sngan", 540.0)):
        for seed in range(3):
            write_run(tmp_path, system, seed, evals=[{**POINT, "step": 0, "fid": start + seed},
                                                     {**POINT, "step": 5, "fid": start / 3 + 7 * seed}])
    rows = fid_by_step(load_runs([tmp_path]), "msngan")
    assert rows[0].vs_baseline == {} and rows[0].p_holm == {}
    assert rows[1].p_holm["sngan"] == pytest.approx(rows[1].vs_baseline["sngan"].p)  # a family of one
    assert "| untrained |" in markdown(rows, "msngan") and "over the table's 1 tests" in markdown(rows, "msngan")


def test_a_diverged_run_is_left_out_counted_and_cannot_corrupt_the_table(tmp_path):
    finals = {"msngan": [150.0, 155.0, 160.0], "sngan": [170.0, float("nan"), 180.0]}  # sngan seed 1 diverged
    for system, values in finals.items():
        for seed, fid in enumerate(values):
            write_run(tmp_path, system, seed, evals=[{**POINT, "step": 10, "fid": fid}])
    (row,) = fid_by_step(load_runs([tmp_path]), "msngan")
    assert row.diverged == {"sngan": 1} and row.fid["sngan"].n == 2 and row.vs_baseline["sngan"].n_a == 2
    assert row.vs_baseline["sngan"].p == pytest.approx(stats.ttest_ind([170.0, 180.0], finals["msngan"],
                                                                       equal_var=False).pvalue)
    assert "(n = 2; 1 diverged, left out)" in markdown([row], "msngan")
