"""PROTOCOL.md's rule as code: the short list from a search, each system's pick from the short list."""
import shutil
import tomllib
from pathlib import Path

import pytest

from gans.core.errors import UserError

from gans.analysis.compare import compare
from gans.study.spec import Study, run_configs
from tests.analysis.fake_runs import write_run

LRS = [1e-4, 2e-4, 3e-4, 4e-4, 5e-4]


def _study_dir(root: Path, text: str) -> Path:
    root.mkdir(parents=True)
    (root / "study.toml").write_text(text)
    return root / "runs"


def test_a_search_writes_the_short_list_study_of_each_systems_best_three_draws(tmp_path):
    stored = ('seeds = [0, 4]\n[systems]\nsngan = {}\nlnsn = { preset = "sngan", norm = "ln" }\n'
              '[train]\ndataset = "shapes[:64]"\nwidth = 0.25\n[eval]\nreference = "shapes[64:96]"\n'
              '[search]\nk = 5\nlr = { log-uniform = [1e-4, 1e-3] }\nn-critic = [1, 2]\n')
    runs = _study_dir(tmp_path / "search", stored)
    kids = {"sngan": [0.30, 0.10, 0.20, 0.15, 0.40], "lnsn": [0.05, 0.50, 0.45, 0.06, 0.07]}
    for system, values in kids.items():
        flags = {"norm": "ln"} if system == "lnsn" else {}
        for draw, kid in enumerate(values):
            for seed in (0, 4):  # two seeds per draw: still a search (the stored study says so)
                write_run(runs, "sngan", seed, label=f"{system}@draw={draw}", numbers={"fid": [100.0], "kid_mean": [kid]},
                          flags={**flags, "lr": LRS[draw], "n_critic": 1 + draw % 2})
    written = compare([runs], tmp_path / "report")
    assert "budget.md" in written and "confirm.toml" not in written
    # one seed per draw: Welch tests between draws cannot run, and the protocol tests systems, not draws
    assert "pairs.md" not in written
    study = Study.from_toml(written["short-list.toml"].read_text(), str(written["short-list.toml"]))
    study.check()
    assert study.seeds == [1, 2, 3] and not study.search and study.stage == "short-list"
    assert sorted(study.systems) == sorted(["sngan@draw=1", "sngan@draw=3", "sngan@draw=2",
                                            "lnsn@draw=0", "lnsn@draw=3", "lnsn@draw=4"])
    assert study.systems["sngan@draw=3"] == {"preset": "sngan", "lr": 4e-4, "n_critic": 2, "norm": "sn"}
    assert study.systems["lnsn@draw=4"]["norm"] == "ln"  # a system's own flags survive, not only the drawn ones
    # the search's own setting, not search.toml's defaults
    assert study.train == {"dataset": "shapes[:64]", "width": 0.25} and study.eval == {"reference": "shapes[64:96]"}
    cfgs = run_configs(study, tmp_path / "out")
    assert {(c.system, c.lr, c.norm, c.seed) for c in cfgs} >= {("lnsn@draw=4", 5e-4, "ln", 3),
                                                                ("sngan@draw=1", 2e-4, "sn", 1)}


@pytest.mark.parametrize("stage, seeds", [("search", "[0, 1]"), ("short list", "[1, 2, 5]")])
def test_a_stage_whose_seeds_the_next_would_run_again_writes_no_next_study(tmp_path, stage, seeds):
    search = stage == "search"
    table = '[search]\nk = 1\nlr = { log-uniform = [1e-4, 1e-3] }\n' if search else ""
    runs = _study_dir(tmp_path / "s", f'seeds = {seeds}\n[systems]\n' + ('sngan = {}\n' if search else
                      '"sngan@draw=0" = { preset = "sngan", lr = 1e-4 }\n') + table)
    for seed in tomllib.loads(f"s = {seeds}")["s"]:
        write_run(runs, "sngan", seed, label="sngan@draw=0", numbers={"fid": [100.0], "kid_mean": [0.1]},
                  flags={"lr": 1e-4})
    said: list[str] = []
    written = compare([runs], tmp_path / "report", say=said.append)
    assert "short-list.toml" not in written and "confirm.toml" not in written
    used, nxt = ("seed 1", "short-list (seeds 1, 2, 3)") if search else ("seed 5", "confirm (seeds 5, 6, 7, 8, 9)")
    assert any(f"these runs used {used}, which the {nxt} would run again" in line for line in said)


def test_the_pick_is_the_lowest_mean_kid_over_seeds_and_fid_breaks_a_tie(tmp_path):
    runs = _study_dir(tmp_path / "short", '[systems]\n"sngan@draw=1" = { preset = "sngan", lr = 2e-4 }\n')
    per_seed = {("sngan", 1): ([0.10, 0.30, 0.20], 90.0), ("sngan", 2): ([0.15, 0.16, 0.17], 95.0),
                ("sngan", 3): ([0.01, float("nan"), 0.01], 60.0),  # diverged on a seed: a failed draw
                ("msngan", 0): ([0.10, 0.10, 0.10], 80.0), ("msngan", 4): ([0.10, 0.10, 0.10004], 70.0)}
    for (system, draw), (kid_values, fid) in per_seed.items():
        for seed, kid in zip((1, 2, 3), kid_values):
            write_run(runs, system, seed, label=f"{system}@draw={draw}", numbers={"fid": [fid], "kid_mean": [kid]},
                      flags={"lr": LRS[draw]})
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "pairs.md").write_text("from an earlier report")
    written = compare([runs], tmp_path / "report")
    assert "budget.md" not in written
    assert not (tmp_path / "report" / "pairs.md").exists()  # draws are picked by PROTOCOL.md's rule, not tested
    picks = written["picks.md"].read_text()
    assert "| sngan | sngan@draw=2 | 160.0 |" in picks  # mean 0.16 beats mean 0.20
    assert "| msngan | msngan@draw=4 |" in picks  # a tie on KID (within 0.1 x1e3): the lower FID
    confirm = tomllib.loads(written["confirm.toml"].read_text())
    assert confirm["stage"] == "confirm" and confirm["seeds"] == [5, 6, 7, 8, 9] and confirm["eval"]["fid-sizes"] == [500, 1000, 2000, 5000]
    assert confirm["systems"]["sngan"] == {"preset": "sngan", "lr": pytest.approx(3e-4)}


def test_a_search_not_yet_finished_writes_no_short_list_and_says_why(tmp_path):
    stored = ('seeds = [0]\n[systems]\nsngan = {}\nmsngan = {}\n[train]\ndataset = "shapes[:64]"\n'
              '[search]\nk = 3\nlr = { log-uniform = [1e-4, 1e-3] }\n')
    runs = _study_dir(tmp_path / "search", stored)
    for system, draws in {"sngan": 3, "msngan": 2}.items():  # msngan's draw 2 has not run yet
        for draw in range(draws):
            write_run(runs, system, 0, label=f"{system}@draw={draw}", numbers={"fid": [100.0], "kid_mean": [0.1 + draw]},
                      flags={"lr": LRS[draw]})
    write_run(runs, "msngan", 0, label="msngan@draw=2", flags={"lr": LRS[2]})  # started, not scored
    report = tmp_path / "report"
    report.mkdir()
    (report / "short-list.toml").write_text("# left by an earlier report\n")
    said: list[str] = []
    written = compare([runs], report, say=said.append)
    assert "budget.md" in written and "short-list.toml" not in written
    assert not (report / "short-list.toml").exists()  # a stale stage file is not left to be run
    assert said == ["note: the search is incomplete (5 of its 6 runs scored among those given: 2 systems x 3 draws), "
                    "so short-list.toml is not written; finish it with the same `gans study`, or give gans compare "
                    "all its runs"]
    budget_md = written["budget.md"].read_text()
    assert "**Not final:**" in budget_md and "| msngan | 2 (1 missing) |" in budget_md


def test_a_short_list_not_yet_finished_picks_nothing(tmp_path):
    runs = _study_dir(tmp_path / "short", 'seeds = [1, 2, 3]\n[systems]\n"sngan@draw=1" = { preset = "sngan" }\n'
                                          '"sngan@draw=2" = { preset = "sngan" }\n')
    for draw, seeds in ((1, (1, 2, 3)), (2, (1, 2))):  # draw 2's seed 3 has not run
        for seed in seeds:
            write_run(runs, "sngan", seed, label=f"sngan@draw={draw}", numbers={"fid": [90.0], "kid_mean": [0.1]},
                      flags={"lr": LRS[draw]})
    said: list[str] = []
    written = compare([runs], tmp_path / "report", say=said.append)
    assert "picks.md" not in written and "confirm.toml" not in written
    assert said == ["note: the short list is incomplete (5 of its 6 runs scored among those given: 2 draws x 3 seeds), "
                    "so picks.md and confirm.toml are not written; finish it with the same `gans study`, or give gans "
                    "compare all its runs"]


def _confirmation(root: Path, kids: dict[str, list[float]]) -> Path:
    systems = "".join(f'"{s}" = {{ preset = "sngan", lr = {LRS[i]} }}\n' for i, s in enumerate(kids))
    runs = _study_dir(root, f'stage = "confirm"\nseeds = [5, 6, 7]\n[systems]\n{systems}'
                            '[train]\ndataset = "shapes[:64]"\nsteps = 1500\n[eval]\nnum-samples = 5000\n')
    for i, (system, values) in enumerate(kids.items()):
        for seed, kid in zip((5, 6, 7), values):
            write_run(runs, "sngan", seed, label=system, numbers={"fid": [100.0 + i], "kid_mean": [kid]},
                      flags={"lr": LRS[i]})
    return runs


def test_the_confirmation_writes_the_horizon_study_of_its_three_best_systems_by_mean_kid(tmp_path):
    kids = {"a": [0.30, 0.30, 0.30], "b": [0.10, 0.20, 0.30], "c": [0.01, float("nan"), 0.01],  # c diverged once
            "d": [0.25, 0.25, 0.25], "e": [0.19, 0.19, 0.19]}
    written = compare([_confirmation(tmp_path / "confirm", kids)], tmp_path / "report")
    text = written["horizon.toml"].read_text()
    study = Study.from_toml(text, "horizon.toml")
    study.check()
    # mean KID: b 0.20 (FID 101), e 0.19, d 0.25, a 0.30; c has a diverged seed: never chosen
    assert list(study.systems) == ["e", "b", "d"] and study.stage == "horizon"
    assert study.systems["d"] == {"preset": "sngan", "lr": LRS[3]}
    assert study.seeds == [5, 6, 7, 8] and study.train == {"dataset": "shapes[:64]", "steps": 5000}
    assert study.eval == {"num_samples": 5000}


def test_an_unfinished_confirmation_writes_no_horizon_study_and_no_tests(tmp_path):
    # verdicts over part of a stage's seeds would claim what the protocol's n does not back
    runs = _confirmation(tmp_path / "confirm", {"a": [0.1, 0.1], "b": [0.2, 0.2, 0.2], "c": [0.3, 0.3, 0.3]})
    said: list[str] = []
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "pairs.md").write_text("from an earlier, finished report")
    written = compare([runs], tmp_path / "report", say=said.append)
    assert "horizon.toml" not in written and "pairs.md" not in written and not (tmp_path / "report" / "pairs.md").exists()
    assert said == ["note: the confirmation is incomplete (8 of its 9 runs scored among those given: 3 systems x 3 "
                    "seeds), so pairs.md and horizon.toml are not written; finish it with the same `gans study`, or "
                    "give gans compare all its runs"]


def test_a_finished_confirmation_tests_every_pair_and_names_a_seed_that_did_not_learn(tmp_path):
    runs = _confirmation(tmp_path / "confirm", {"a": [0.1, 0.11, 0.12], "b": [0.2, 0.21, 0.22]})
    for seed, untrained in ((5, 400.0), (6, 150.0), (7, 400.0)):  # a's FID is 100: seed 6 only at 0.67x
        shutil.rmtree(runs / f"a-seed{seed}")
        write_run(runs, "sngan", seed, label="a", numbers={"fid": [100.0], "kid_mean": [0.1 + (seed - 5) / 100]},
                  untrained={"fid": [untrained], "kid_mean": [0.5]}, flags={"lr": LRS[0]})
    written = compare([runs], tmp_path / "report")
    text = written["pairs.md"].read_text()  # two systems: a stage's one pair is still its test
    assert "Stage: confirm" in text and "| a | b | 3, 3 |" in text and "a ahead of b" in text
    assert "- a: **not learning** on seed 6 (0.67)" in text and "- b: not scored against its untrained generator" in text
    assert "not learning on seed 6" in written["table.md"].read_text()
    assert "horizon.toml" in written


def test_a_finished_two_system_horizon_writes_its_tests(tmp_path):
    runs = _study_dir(tmp_path / "horizon", 'stage = "horizon"\nseeds = [5, 6]\n[systems]\n'
                      f'a = {{ preset = "sngan", lr = {LRS[0]} }}\nb = {{ preset = "sngan", lr = {LRS[1]} }}\n')
    for i, system in enumerate("ab"):
        for seed in (5, 6):
            write_run(runs, "sngan", seed, label=system, numbers={"fid": [100.0], "kid_mean": [0.1 * (i + 1) + seed / 1000]},
                      flags={"lr": LRS[i]})
    written = compare([runs], tmp_path / "report")
    assert "Stage: horizon" in written["pairs.md"].read_text() and "horizon.toml" not in written


def test_a_study_names_only_a_stage_of_the_protocol():
    study = Study.from_toml('stage = "pick"\nsystems = ["sngan"]\n', "s.toml")
    with pytest.raises(UserError, match="stage 'pick' is none of"):
        study.check()


def test_a_tie_on_mean_kid_at_the_horizons_cut_goes_to_the_lower_fid(tmp_path):
    # c and d tie within 0.1 x1e3 for the third place: d's lower FID wins it (stage 2's rule)
    kids = {"a": [0.10] * 3, "b": [0.11] * 3, "c": [0.12000] * 3, "d": [0.12005] * 3}
    runs = _confirmation(tmp_path / "confirm", kids)  # FID 100 + the system's index: d's is 103, c's 102
    assert list(Study.from_toml(compare([runs], tmp_path / "r1")["horizon.toml"].read_text(), "h").systems) == ["a", "b", "c"]
    for seed in (5, 6, 7):  # give d the lower FID
        eval_json = runs / f"d-seed{seed}" / "eval.json"
        eval_json.write_text(eval_json.read_text().replace('"fid": 103.0', '"fid": 80.0'))
    assert list(Study.from_toml(compare([runs], tmp_path / "r2")["horizon.toml"].read_text(), "h").systems) == ["a", "b", "d"]


def test_a_confirmation_where_every_system_diverged_writes_no_horizon_and_says_so(tmp_path):
    runs = _confirmation(tmp_path / "confirm", {s: [0.1, 0.1, float("nan")] for s in "abc"})
    said: list[str] = []
    assert "horizon.toml" not in compare([runs], tmp_path / "report", say=said.append)
    assert said == ["note: every system diverged on a confirmation seed: no horizon to run"]


def test_stage_files_carry_where_the_study_ran_and_a_stale_one_goes_with_runs_of_two_folders(tmp_path):
    runs = _confirmation(tmp_path / "confirm", {"a": [0.1] * 3, "b": [0.2] * 3, "c": [0.3] * 3})
    stored = runs.parent / "study.toml"
    stored.write_text('executor = "slurm"\ntimeout-min = 60\n' + stored.read_text() + '[slurm]\npartition = "gpu"\n')
    horizon = tomllib.loads(compare([runs], tmp_path / "report")["horizon.toml"].read_text())
    assert (horizon["executor"], horizon["timeout-min"], horizon["slurm"]) == ("slurm", 60, {"partition": "gpu"})
    other = tmp_path / "elsewhere"
    write_run(other, "sngan", 0, label="e", numbers={"fid": [90.0], "kid_mean": [0.1]})
    assert "horizon.toml" not in compare([runs, other], tmp_path / "report")  # no one study: no next stage
    assert not (tmp_path / "report" / "horizon.toml").exists()


@pytest.mark.parametrize("low, high", [(0.0051, 0.0052), (0.0052, 0.0053), (0.081, 0.0811), (0.1233, 0.1234)])
def test_a_gap_of_exactly_the_tie_is_a_tie_however_its_floats_round(low, high):
    from gans.analysis.selection import standings

    # the higher KID has the lower FID: a tie, so it goes first (0.0053 - 0.0052 is 1.0000000000000005e-04)
    order = standings({"low": [low], "high": [high]}, {"low": [120.0], "high": [110.0]})
    assert [s.name for s in order] == ["high", "low"]
    apart = standings({"low": [low], "high": [high + 1e-6]}, {"low": [120.0], "high": [110.0]})
    assert [s.name for s in apart] == ["low", "high"]
