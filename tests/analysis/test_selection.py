"""PROTOCOL.md's rule as code: the short list from a search, each system's pick from the short list."""
import shutil
import tomllib
from pathlib import Path

import pytest

from gans.analysis.compare import compare
from gans.study.spec import Study, run_configs
from tests.analysis.fake_runs import write_run

SEARCH = Path(__file__).parents[2] / "samples" / "study" / "search.toml"
LRS = [1e-4, 2e-4, 3e-4, 4e-4, 5e-4]


def _study_dir(root: Path, text: str) -> Path:
    root.mkdir(parents=True)
    (root / "study.toml").write_text(text)
    return root / "runs"


def test_a_search_writes_the_short_list_study_of_each_systems_best_three_draws(tmp_path):
    runs = _study_dir(tmp_path / "search", '[search]\nk = 5\nlr = { log-uniform = [1e-4, 1e-3] }\nn-critic = [1, 2]\n')
    kids = {"sngan": [0.30, 0.10, 0.20, 0.15, 0.40], "msngan": [0.05, 0.50, 0.45, 0.06, 0.07]}
    for system, values in kids.items():
        for draw, kid in enumerate(values):
            write_run(runs, system, 0, label=f"{system}@draw={draw}", numbers={"fid": [100.0], "kid_mean": [kid]},
                      flags={"lr": LRS[draw], "n_critic": 1 + draw % 2})
    written = compare([runs], tmp_path / "report")
    assert "budget.md" in written and "confirm.toml" not in written
    text = written["short-list.toml"].read_text()
    shutil.copy(SEARCH.parent / "study.toml", tmp_path / "report" / "study.toml")  # the chain of bases it names
    shutil.copy(SEARCH, tmp_path / "report" / "search.toml")
    study = Study.from_toml(text, str(written["short-list.toml"]))
    study.check()
    assert study.seeds == [1, 2, 3] and not study.search
    assert sorted(study.systems) == sorted(["sngan@draw=1", "sngan@draw=3", "sngan@draw=2",
                                            "msngan@draw=0", "msngan@draw=3", "msngan@draw=4"])
    assert study.systems["sngan@draw=3"] == {"preset": "sngan", "lr": 4e-4, "n_critic": 2}
    cfgs = run_configs(study, tmp_path / "out")
    assert {(c.system, c.lr, c.seed) for c in cfgs} >= {("msngan@draw=4", 5e-4, 3), ("sngan@draw=1", 2e-4, 1)}


def test_the_pick_is_the_lowest_mean_kid_over_seeds_and_fid_breaks_a_tie(tmp_path):
    runs = _study_dir(tmp_path / "short", '[systems]\n"sngan@draw=1" = { preset = "sngan", lr = 2e-4 }\n')
    per_seed = {("sngan", 1): ([0.10, 0.30, 0.20], 90.0), ("sngan", 2): ([0.15, 0.16, 0.17], 95.0),
                ("msngan", 0): ([0.10, 0.10, 0.10], 80.0), ("msngan", 4): ([0.10, 0.10, 0.10004], 70.0)}
    for (system, draw), (kid_values, fid) in per_seed.items():
        for seed, kid in zip((1, 2, 3), kid_values):
            write_run(runs, system, seed, label=f"{system}@draw={draw}", numbers={"fid": [fid], "kid_mean": [kid]},
                      flags={"lr": LRS[draw]})
    written = compare([runs], tmp_path / "report")
    assert "budget.md" not in written
    picks = written["picks.md"].read_text()
    assert "| sngan | sngan@draw=2 | 160.0 |" in picks  # mean 0.16 beats mean 0.20
    assert "| msngan | msngan@draw=4 |" in picks  # a tie on KID (within 0.1 x1e3): the lower FID
    confirm = tomllib.loads(written["confirm.toml"].read_text())
    assert confirm["seeds"] == [5, 6, 7, 8, 9] and confirm["eval"]["fid-sizes"] == [500, 1000, 2000, 5000]
    assert confirm["systems"]["sngan"] == {"preset": "sngan", "lr": pytest.approx(3e-4)}
