"""`gans compare` on run directories written file by file: seed statistics against numpy and scipy,
significance marks exactly where Welch's test says so, PRDC beside IS/FID/KID, and parameter counts
read from what the runs stored."""
import csv

import numpy as np
import pytest
from scipy import stats

from gans.analysis.compare import compare
from gans.analysis.rows import METRICS, table_rows
from gans.analysis.rundirs import load_runs
from gans.analysis.stats import welch
from gans.cli import main
from tests.analysis.fake_runs import NUMBERS, write_checkpoint, write_run

# per system and seed: each number's value in each of the run's two draws
RNG = np.random.default_rng(7)


def _numbers(offset: dict[str, float], seed: int) -> dict[str, list[float]]:
    base = {"is_mean": 6.0, "fid": 40.0, "kid_mean": 0.03, "fid_infinity": 38.0, "precision": 0.6, "recall": 0.4, "density": 0.9,
            "coverage": 0.5}
    spread = {"is_mean": 0.2, "fid": 2.0, "kid_mean": 0.003, "fid_infinity": 2.0, "precision": 0.02, "recall": 0.02, "density": 0.05,
              "coverage": 0.02}
    out = {}
    for k in NUMBERS:
        centre = base[k] + offset.get(k, 0.0) + RNG.normal(0, spread[k])
        out[k] = [centre - 0.01 * (seed + 1) * spread[k], centre + 0.01 * (seed + 1) * spread[k]]
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three systems x three seeds: sngan the baseline, msngan far off in FID and precision, wgan-gp
    close in everything."""
    root = tmp_path_factory.mktemp("runs")
    offsets = {"sngan": {}, "msngan": {"fid": -15.0, "precision": 0.1}, "wgan-gp": {"fid": 0.3}}
    return [write_run(root, preset, seed, _numbers(offset, seed), params={"G": 1000 + len(preset), "D": 50})
            for preset, offset in offsets.items() for seed in (0, 1, 2)]  # in this order: sngan first


def _csv(out):
    return {r["system"]: r for r in csv.DictReader((out / "table.csv").open())}


def _per_seed(paths, system: str, key: str) -> list[float]:
    return [getattr(r.final.summary, key) for r in load_runs(paths) if r.system == system]


def test_seed_statistics_and_welch_columns_match_numpy_and_scipy(runs, tmp_path):
    out = tmp_path / "report"
    compare(runs, out)
    rows = _csv(out)
    assert list(rows) == ["sngan", "msngan", "wgan-gp"]
    for system in rows:
        for m in METRICS:
            xs = _per_seed(runs, system, m.field)
            row = rows[system]
            assert int(row[f"{m.key}_n"]) == 3 and row["seeds"] == "0 1 2" and row["baseline"] == "sngan"
            assert float(row[f"{m.key}_mean"]) == pytest.approx(np.mean(xs), rel=1e-12)
            assert float(row[f"{m.key}_std"]) == pytest.approx(np.std(xs, ddof=1), rel=1e-9)
            low, high = stats.t.interval(0.95, 2, loc=np.mean(xs), scale=stats.sem(xs))
            assert (float(row[f"{m.key}_low"]), float(row[f"{m.key}_high"])) == pytest.approx((low, high), rel=1e-9)
            if system == "sngan":
                assert row[f"{m.key}_diff"] == row[f"{m.key}_p"] == row[f"{m.key}_significant"] == ""
                continue
            base = _per_seed(runs, "sngan", m.field)
            ref = stats.ttest_ind(xs, base, equal_var=False)
            ci = ref.confidence_interval(0.95)
            assert float(row[f"{m.key}_diff"]) == pytest.approx(np.mean(xs) - np.mean(base), rel=1e-9)
            assert float(row[f"{m.key}_p"]) == pytest.approx(ref.pvalue, rel=1e-9)
            assert (float(row[f"{m.key}_diff_low"]), float(row[f"{m.key}_diff_high"])) == pytest.approx(
                (ci.low, ci.high), rel=1e-9)


def test_marks_appear_exactly_where_welch_is_significant(runs, tmp_path):
    out = tmp_path / "report"
    compare(runs, out)
    rows, text = _csv(out), (out / "table.md").read_text()
    main_table, diff_table = (part.splitlines() for part in text.split("\n\n") if part.startswith("| "))
    cells = {line.strip("| ").split(" | ")[0]: line.strip("| ").split(" | ") for line in main_table[2:]}
    diffs = {line.strip("| ").split(" | ")[0]: line.strip("| ").split(" | ") for line in diff_table[2:]}
    assert set(diffs) == {"msngan", "wgan-gp"}
    first = 4  # system, norm, loss, seeds, then the numbers in METRICS order
    marks = 0
    for system in rows:
        for i, m in enumerate(METRICS):
            expected = system != "sngan" and welch(_per_seed(runs, system, m.field),
                                                   _per_seed(runs, "sngan", m.field)).significant
            assert cells[system][first + i].endswith(" *") == expected, (system, m.key)
            if system != "sngan":
                assert diffs[system][1 + i].endswith(" *") == expected, (system, m.key)
            assert rows[system][f"{m.key}_significant"] == ("" if system == "sngan" else str(expected))
            marks += expected
    # Holm over the two systems tested: the smaller p doubles; the larger stays unless the doubled smaller exceeds it
    for m in METRICS:
        ps = {s: welch(_per_seed(runs, s, m.field), _per_seed(runs, "sngan", m.field)).p for s in ("msngan", "wgan-gp")}
        small = min(ps.values())
        for s, p in ps.items():
            expected = min(1.0, 2 * p) if p == small else min(1.0, max(2 * small, p))
            assert float(rows[s][f"{m.key}_p_holm"]) == pytest.approx(expected, rel=1e-9), (s, m.key)
    # the planted differences are found and the near-equal system is not marked in FID
    assert rows["msngan"]["fid_significant"] == "True" and rows["msngan"]["precision_significant"] == "True"
    assert 0 < marks < 2 * len(METRICS)
    assert "Welch's t-test (two-sided, unequal variances)" in text and "\\* differs from the baseline sngan" in text
    assert "Differences from the baseline sngan" in text
    page = (out / "report.html").read_text()
    assert "Welch&#x27;s t-test" in page and "Differences from the baseline sngan" in page


def test_prdc_sits_beside_is_fid_kid(runs, tmp_path):
    out = tmp_path / "report"
    compare(runs, out)
    head = (out / "table.md").read_text().splitlines()[0]
    assert head.startswith("| system | norm | loss | seeds | IS | FID | KID x1e3 | FID∞ | precision | recall | density | "
                           "coverage |")
    row = _csv(out)["sngan"]
    for k in ("precision", "recall", "density", "coverage"):
        assert float(row[f"{k}_mean"]) == pytest.approx(np.mean(_per_seed(runs, "sngan", k)))


def test_fid_over_untrained_per_seed_mean_and_worst(tmp_path):
    """The study scores step 0 beside the final checkpoint; the table divides seed by seed and shows
    the mean and the worst ratio; the final numbers stay those of the latest step."""
    paths = [write_run(tmp_path, "sngan", seed, {"fid": [f, f]}, untrained={"fid": [u, u]})
             for seed, f, u in ((0, 100.0, 400.0), (1, 150.0, 300.0))]
    paths.append(write_run(tmp_path, "msngan", 0, {"fid": [90.0, 90.0]}))  # no step 0 scored: no ratio
    rows = {r.system: r for r in table_rows(load_runs(paths))}
    assert rows["sngan"].learned == pytest.approx((0.25, 0.5))
    assert rows["sngan"].numbers["fid"].seeds.mean == pytest.approx(125.0)
    assert rows["msngan"].learned == ()
    compare(paths, tmp_path / "report")
    table = _csv(tmp_path / "report")
    assert float(table["sngan"]["fid_untrained_mean"]) == pytest.approx(0.375)
    assert float(table["sngan"]["fid_untrained_worst"]) == pytest.approx(0.5)
    assert table["msngan"]["fid_untrained_worst"] == ""
    assert "0.38 (worst 0.50)" in (tmp_path / "report" / "table.md").read_text()


def test_baseline_option_and_a_wrong_one(runs, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["compare", *map(str, runs), "--out", str(out), "--baseline", "wgan-gp"]) == 0
    rows = _csv(out)
    assert {r["baseline"] for r in rows.values()} == {"wgan-gp"}
    assert rows["wgan-gp"]["fid_diff"] == "" and rows["sngan"]["fid_diff"] != ""
    assert "baseline wgan-gp" in capsys.readouterr().out
    assert main(["compare", str(runs[0].parent), "--out", str(tmp_path / "other"), "--baseline", "bn"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--baseline 'bn' is not a system of these runs (msngan, sngan, wgan-gp)" in err
    assert not (tmp_path / "other").exists()


def test_params_come_from_what_runs_stored_not_from_networks(tmp_path, monkeypatch):
    import gans.runs.networks as networks

    def refuse(*a, **k):
        raise AssertionError("compare built a network")

    monkeypatch.setattr(networks, "build_generator", refuse)
    monkeypatch.setattr(networks, "build_discriminator", refuse)
    in_report = write_run(tmp_path, "sngan", 0, {"fid": [30.0]}, params={"G": 123, "D": 45})
    write_checkpoint(in_report, 4, {"G": 1, "D": 1})  # eval.json's numbers come first
    only_ckpt = write_run(tmp_path, "msngan", 0, {"fid": [31.0]})
    write_checkpoint(only_ckpt, 2, {"G": 999, "D": 77})
    write_checkpoint(only_ckpt, 4, {"G": 4_280_000, "D": 1_050_000})
    write_run(tmp_path, "wgan-gp", 0, {"fid": [32.0]})  # nothing stored
    out = tmp_path / "report"
    compare([tmp_path], out)
    rows = _csv(out)
    assert (rows["sngan"]["params_g"], rows["sngan"]["params_d"]) == ("123", "45")
    assert (rows["msngan"]["params_g"], rows["msngan"]["params_d"]) == ("4280000", "1050000")
    assert rows["wgan-gp"]["params_g"] == rows["wgan-gp"]["params_d"] == ""
    text = (out / "table.md").read_text()
    assert "| 4,280,000 | 1,050,000 |" in text and "| — | — |" in text


def test_report_files_leave_out_figures_with_nothing_to_show(runs, tmp_path):
    written = compare(runs, tmp_path / "report")  # no training-time FID, no sample grids
    assert set(written) == {"table.md", "table.csv", "losses.png", "report.html", "pairs.md"}  # three systems: every pair
    assert not (tmp_path / "report" / "fid_vs_step.png").exists() and not (tmp_path / "report" / "samples.png").exists()
    page = written["report.html"].read_text()
    assert page.count("data:image/png;base64,") == 1 and page.count("<table>") == 2
    assert "FID vs step" not in page and "Final samples" not in page


def test_report_figures_of_runs_scored_in_training_and_sampled(tmp_path):
    from PIL import Image

    point = {"draw": 0, "sample_seed": 2, "num_samples": 10, "fid": 55.0}
    for seed in (0, 1):
        run = write_run(tmp_path / "runs", "sngan", seed, evals=[{**point, "step": 2, "fid": 70.0 + seed},
                                                                 {**point, "step": 4}])
        (run / "samples").mkdir()
        Image.new("RGB", (16, 16), (200, 30, 30)).save(run / "samples" / "step_00000004.png")
    written = compare([tmp_path / "runs"], tmp_path / "report")
    assert {"fid_vs_step.png", "losses.png", "samples.png"} <= set(written)
    page = written["report.html"].read_text()
    assert page.count("data:image/png;base64,") == 3 and "<h2>FID vs step</h2>" in page


def test_the_page_keeps_wide_tables_in_their_own_scrolling_box(tmp_path):
    write_run(tmp_path / "runs", "sngan", 0, {"fid": [176.8]})
    page = compare([tmp_path / "runs"], tmp_path / "report")["report.html"].read_text()
    assert page.count('<div class=scroll><table>') == page.count("<table>") == 1
    assert ".scroll{overflow-x:auto" in page and "position:sticky" in page  # the system column stays in view
    assert "<span class=v>176.80 ± —</span>" in page and "± 0.00" not in page


@pytest.mark.parametrize("argv,message", [
    (["compare", "nowhere"], "nowhere does not exist"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, message):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_compare_of_a_folder_without_runs(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["compare", str(tmp_path / "empty")]) == 2
    assert "holds no runs" in capsys.readouterr().err


def test_the_table_says_which_machines_trained_its_runs(tmp_path):
    from gans.runs.machines import MachineRow, record

    def row(step, cpu):
        return MachineRow(step, "2026-12-05T00:00:00Z", cpu, "AVX512", "cpu", 1, "2.14.1")

    runs = [write_run(tmp_path / "runs", "sngan", seed, {"fid": [50.0 + seed]}) for seed in range(4)]
    assert "Trained on" not in main_table(tmp_path, "before")  # runs from before machines.jsonl: no line
    record(runs[0], row(0, "AMD EPYC 9B14"))
    record(runs[1], row(0, "AMD EPYC 9B14"))
    record(runs[2], row(0, "Intel Xeon"))
    record(runs[2], row(500, "AMD EPYC 9B14"))  # resumed on another machine
    assert ("Trained on AMD EPYC 9B14 (AVX512): 2 runs; Intel Xeon (AVX512) then AMD EPYC 9B14 (AVX512): 1 run; "
            "not recorded: 1 run (each run's machines.jsonl") in main_table(tmp_path, "after")


def main_table(tmp_path, name):
    compare([tmp_path / "runs"], tmp_path / name)
    return (tmp_path / name / "table.md").read_text()
