"""A sweep's report: each system's settings ranked by mean FID over seeds, the lowest picked, and
whether every seed got to 0.6x its untrained generator's FID."""
import pytest

from gans.analysis.compare import compare
from gans.analysis.rows import table_rows
from gans.analysis.rundirs import load_runs
from gans.analysis.sweep import best, points, system_of
from tests.analysis.fake_runs import write_run


def test_system_of_a_swept_name():
    assert system_of("sngan@lr=0.0001,betas=0.0:0.9") == ("sngan", "lr=0.0001,betas=0.0:0.9")
    assert system_of("sngan") == ("sngan", "")


def test_best_is_the_lowest_mean_fid_per_system(tmp_path):
    fids = {"sngan@lr=1": (100.0, 120.0), "sngan@lr=2": (105.0, 106.0), "msngan@lr=1": (90.0, 200.0),
            "msngan@lr=2": (140.0, 141.0)}
    paths = [write_run(tmp_path, "msngan" if name.startswith("msngan") else "sngan", seed, {"fid": [f, f]},
                       label=name, untrained={"fid": [300.0, 300.0]})
             for name, pair in fids.items() for seed, f in enumerate(pair)]
    found = points(table_rows(load_runs(paths)))
    assert [(p.system, p.setting, p.n) for p in found] == [("sngan", "lr=1", 2), ("sngan", "lr=2", 2),
                                                           ("msngan", "lr=1", 2), ("msngan", "lr=2", 2)]
    chosen = best(found)
    assert chosen["sngan"].setting == "lr=2" and chosen["sngan"].fid == pytest.approx(105.5)  # 110 > 105.5
    assert chosen["msngan"].setting == "lr=2"  # 145 mean: one bad seed loses the pick
    assert chosen["msngan"].learned_worst == pytest.approx(141 / 300) and chosen["msngan"].learns
    assert not next(p for p in found if p.system == "msngan" and p.setting == "lr=1").learns  # 200/300 > 0.6
    compare(paths, tmp_path / "report")
    text = (tmp_path / "report" / "sweep.md").read_text()
    assert "| sngan | lr=2 | 105.50 | 2 | 0.35 | **best** |" in text


def test_no_sweep_no_sweep_file(tmp_path):
    paths = [write_run(tmp_path, "sngan", 0, {"fid": [1.0, 1.0]})]
    compare(paths, tmp_path / "report")
    assert not (tmp_path / "report" / "sweep.md").exists()


def test_a_point_with_a_diverged_seed_is_never_best_and_does_not_learn(tmp_path):
    # lr=1's surviving seed is the lowest FID of all; its other seed diverged, as a search's failed draw does
    paths = [write_run(tmp_path, "sngan", 0, {"fid": [50.0]}, label="sngan@lr=1", untrained={"fid": [300.0]}),
             write_run(tmp_path, "sngan", 1, {"fid": [float("nan")]}, label="sngan@lr=1", untrained={"fid": [300.0]})]
    paths += [write_run(tmp_path, "sngan", seed, {"fid": [f]}, label="sngan@lr=2", untrained={"fid": [300.0]})
              for seed, f in enumerate((70.0, 72.0))]
    found = points(table_rows(load_runs(paths)))
    diverged = next(p for p in found if p.setting == "lr=1")
    assert diverged.diverged == 1 and diverged.learns is False
    assert best(found)["sngan"].setting == "lr=2"
    compare(paths, tmp_path / "report")
    assert "| sngan | lr=1 | 50.00 | 1 (1 diverged) | 0.17 |  |" in (tmp_path / "report" / "sweep.md").read_text()
