"""gans.analysis.rows: each system's numbers over its seeds, its spread, its test against the
baseline and the runs it leaves out as diverged (with the cells that show them)."""
import numpy as np
import pytest
from scipy import stats

from gans.analysis.rows import METRICS, table_rows
from gans.analysis.rundirs import load_runs
from gans.analysis.table import COLUMNS, cells, markdown
from gans.core.errors import UserError
from gans.eval.records import MEAN_STD
from tests.analysis.fake_runs import write_run


def test_every_summarized_number_is_a_column():
    assert [m.field for m in METRICS] == [mean for mean, _ in MEAN_STD]
    assert [m.std_field for m in METRICS] == [std for _, std in MEAN_STD]


def test_one_seed_shows_its_spread_over_draws_and_no_test(tmp_path):
    paths = [write_run(tmp_path, "sngan", 0, {"fid": [30.0, 34.0], "precision": [0.5, 0.7]})]
    paths += [write_run(tmp_path, "msngan", seed, {"fid": [20.0 + seed, 22.0 + seed], "precision": [0.6, 0.6]})
              for seed in (0, 1)]
    rows = table_rows(load_runs(paths))
    one = rows[0].numbers["fid"]
    assert one.seeds.n == 1 and one.std == pytest.approx(2.0) and one.seeds.low is None  # population std of 30, 34
    text = markdown(rows)
    assert "| 32.00 ± 2.00 |" in text and "(n = 2 vs 1: no test)" in text
    assert rows[1].numbers["fid"].std == pytest.approx(np.std([21.0, 22.0], ddof=1))
    assert rows[0].numbers["is"].seeds is None and "| — |" in text  # IS never measured


def test_train_time_numbers_when_no_eval_json(tmp_path):
    point = {"draw": 0, "sample_seed": 2, "num_samples": 10, "fid": 55.0, "is_mean": 3.0, "is_std": 0.2,
             "precision": 0.25, "recall": 0.75}
    write_run(tmp_path, "sngan", 0, evals=[{**point, "step": 2, "fid": 70.0}, {**point, "step": 4}])
    (row,) = table_rows(load_runs([tmp_path]))
    assert row.evaluated == "train-time (10 samples), step 4"
    assert row.numbers["fid"].seeds.mean == 55.0 and row.numbers["recall"].seeds.mean == 0.75
    assert row.numbers["density"].seeds is None
    # one seed, one draw: no spread over draws was measured (IS's 0.2 is over its splits, another thing)
    assert row.numbers["is"].std is None and row.numbers["fid"].std is None
    assert cells(row)[COLUMNS.index("FID")] == "55.00 ± —"


def test_one_seed_of_several_draws_shows_its_spread_over_draws(tmp_path):
    write_run(tmp_path, "sngan", 0, {"fid": [10.0, 12.0]})
    (row,) = table_rows(load_runs([tmp_path]))
    assert row.numbers["fid"].std == 1.0 and cells(row)[COLUMNS.index("FID")] == "11.00 ± 1.00"
    one = tmp_path / "one"
    write_run(one, "sngan", 0, {"fid": [176.8]})
    (row,) = table_rows(load_runs([one]))
    assert cells(row)[COLUMNS.index("FID")] == "176.80 ± —" and "± 0.00" not in markdown([row])
    assert row.csv()["fid_std"] is None  # table.csv leaves the cell empty


def test_baseline_must_be_a_system(tmp_path):
    runs = [write_run(tmp_path, preset, 0, {"fid": [40.0]}) for preset in ("sngan", "msngan")]
    with pytest.raises(UserError, match=r"\(sngan, msngan\); pass one of them"):
        table_rows(load_runs(runs), "nope")


def test_a_diverged_seed_is_left_out_and_counted_in_its_cell_and_the_csv(tmp_path):
    for seed, fid in enumerate([40.0, float("nan"), 44.0]):
        write_run(tmp_path / "runs", "sngan", seed, numbers={"fid": [fid]})
    for seed, fid in enumerate([50.0, 52.0, 57.0]):
        write_run(tmp_path / "runs", "msngan", seed, numbers={"fid": [fid]})
    rows = table_rows(load_runs([tmp_path / "runs"]), "sngan")
    by = {r.system: r for r in rows}
    fid = by["sngan"].numbers["fid"]
    assert fid.seeds.n == 2 and fid.excluded == 1 and fid.seeds.mean == 42.0
    ref = stats.ttest_ind([50.0, 52.0, 57.0], [40.0, 44.0], equal_var=False).pvalue
    assert by["msngan"].numbers["fid"].vs_baseline.p == pytest.approx(ref)
    assert "(1 diverged, left out)" in markdown(rows)
    assert by["sngan"].csv()["fid_diverged"] == 1 and by["msngan"].csv()["fid_diverged"] == 0


def test_a_run_that_diverged_after_training_time_scores_has_no_result_and_spreads_stay_finite(tmp_path):
    root = tmp_path / "runs"
    ok = write_run(root, "sngan", 0, numbers={"fid": [40.0, 42.0]})  # two draws: a measured spread
    write_run(root, "sngan", 1, numbers={"fid": [float("nan"), float("nan")]})
    gone = write_run(root, "sngan", 2, evals=[{"step": 2, "draw": 0, "sample_seed": 2, "num_samples": 10, "fid": 9.0}])
    (gone / "diverged.txt").write_text("training diverged by step 3\n")
    (row,) = table_rows(load_runs([root]))
    fid = row.numbers["fid"]
    assert fid.values == (41.0,) and fid.excluded == 2 and fid.std == pytest.approx(1.0)
    assert "nan" not in markdown([row]) and ok.is_dir()


def test_one_surviving_seed_shows_its_own_spread_over_draws_not_a_diverged_runs(tmp_path):
    # seed 0's FID broke, so every number of it counts as diverged, its finite precision included
    write_run(tmp_path, "sngan", 0, {"fid": [float("nan"), 50.0], "precision": [0.1, 0.9]})
    write_run(tmp_path, "sngan", 1, {"fid": [40.0, 42.0], "precision": [0.5, 0.5]})
    (row,) = table_rows(load_runs([tmp_path]))
    precision = row.numbers["precision"]
    assert precision.values == (0.5,) and precision.excluded == 1
    assert precision.std == 0.0  # seed 1's draws; seed 0's would say 0.4


def test_a_seed_that_failed_in_its_score_is_not_counted_as_learned(tmp_path):
    untrained = {"fid": [300.0], "kid_mean": [0.3], "fid_infinity": [290.0]}
    for seed, fid in ((1, 40.0), (2, float("nan")), (3, 60.0)):
        write_run(tmp_path, "sngan", seed, {"fid": [fid], "kid_mean": [0.02], "fid_infinity": [fid]}, untrained=untrained)
    (row,) = table_rows(load_runs([tmp_path]))
    assert row.learned_by_seed == ((1, 40.0 / 300.0), (3, 0.2))  # seed 2's NaN ratio is not a ratio
    assert row.learned_worst == 0.2 and row.not_learning == ()


def test_table_md_names_the_holm_family_it_adjusted_over(tmp_path):
    # c has one seed, so no test: FID's family is b and d, not the three systems beside the baseline
    for system, fids in {"a": [1.0, 2.0, 3.0], "b": [3.0, 4.0, 5.5], "c": [9.0], "d": [4.0, 4.0, 4.0]}.items():
        for seed, fid in enumerate(fids):
            write_run(tmp_path, "sngan", seed, {"fid": [fid]}, label=system)
    rows = table_rows(load_runs([tmp_path]))
    b, d = (next(r for r in rows if r.system == s).numbers["fid"] for s in "bd")
    low, high = sorted([b.vs_baseline.p, d.vs_baseline.p])  # Holm over two: 2x the lower, then the running max
    assert sorted([b.p_holm, d.p_holm]) == pytest.approx([2 * low, max(2 * low, high)])
    assert "p Holm-adjusted over the 2 systems with a test):" in markdown(rows)
    one_seed = table_rows(load_runs([p for p in tmp_path.iterdir() if p.name.endswith("seed0")]))
    assert "p Holm-adjusted over no system: none has a test):" in markdown(one_seed)
