"""The random search: seeded draws from the declared distribution, the same draws for every system."""
import math

import pytest

from gans.core.errors import UserError
from gans.study.search import Space
from gans.study.spec import Study, run_configs, variants

TEXT = """
systems = ["sngan", "msngan"]
seeds = [0]
[train]
steps = 10
[search]
k = 40
seed = 3
lr = { log-uniform = [5e-5, 1e-3] }
beta1 = [0.0, 0.5]
beta2 = [0.9, 0.999]
n-critic = [1, 2, 5]
init = ["torch", "normal02"]
g-init = ["torch", "normal02"]
"""


def test_every_system_runs_the_same_draws_and_they_follow_the_declared_distribution(tmp_path):
    study = Study.from_toml(TEXT, "s.toml")
    study.check()
    cfgs = run_configs(study, tmp_path)
    by_system = {}
    for c in cfgs:
        by_system.setdefault(c.preset, []).append((c.lr, c.betas, c.n_critic, c.init, c.g_init))
    assert len(by_system["sngan"]) == 40 and by_system["sngan"] == by_system["msngan"]  # paired
    lrs = [p[0] for p in by_system["sngan"]]
    assert all(5e-5 <= lr <= 1e-3 for lr in lrs)
    logs = sorted(math.log(lr) for lr in lrs)  # log-uniform: the log's median near the middle of the range
    assert abs(logs[20] - (math.log(5e-5) + math.log(1e-3)) / 2) < 0.8
    assert {p[2] for p in by_system["sngan"]} == {1, 2, 5} and {p[1] for p in by_system["sngan"]} <= {
        (b1, b2) for b1 in (0.0, 0.5) for b2 in (0.9, 0.999)}
    assert {(p[3], p[4]) for p in by_system["sngan"]} == {(d, g) for d in ("torch", "normal02") for g in ("torch", "normal02")}
    names = sorted(c.label for c in cfgs if c.preset == "sngan")
    assert names[0] == "sngan@draw=00" and names[-1] == "sngan@draw=39"


def test_draws_are_repeatable_and_change_with_the_seed():
    table = {"k": 5, "seed": 1, "lr": {"log-uniform": [1e-4, 1e-3]}}
    assert Space.of(table).draws() == Space.of(dict(table)).draws()
    assert Space.of({**table, "seed": 2}).draws() != Space.of(table).draws()


def test_the_search_survives_the_study_file_round_trip():
    study = Study.from_toml(TEXT, "s.toml")
    again = Study.from_toml(study.to_toml(), "again.toml")
    assert variants(again) == variants(study) and again.same_experiment(study)


@pytest.mark.parametrize("table,message", [
    ({"lr": [1e-4]}, r"k \(the number of draws\)"),
    ({"k": 3, "stesp": [1]}, "has no flag 'stesp'"),
    ({"k": 3, "lr": {"log-uniform": [0, 1e-3]}}, "LOW > 0"),
    ({"k": 3, "beta1": [0.0]}, "beta1 and beta2 together"),
    ({"k": 3, "betas": [[0.0, 0.9]]}, "search beta1 and beta2"),
    ({"k": 3, "lr": {"normal": [1, 2]}}, "log-uniform"),
])
def test_a_bad_search_is_one_line_naming_the_table(table, message):
    with pytest.raises(UserError, match=message) as e:
        Space.of(table, "s.toml: [search]")
    assert str(e.value).startswith("s.toml: [search]") and "\n" not in str(e.value)


def test_a_train_typo_names_the_file_and_the_system(tmp_path):
    study = Study.from_toml('systems = ["sngan"]\n[train]\nstesp = 3\n', "study.toml")
    with pytest.raises(UserError, match=r"^study.toml: system sngan \(\[train\], its flags\): unknown option --stesp"):
        run_configs(study, tmp_path)


def test_eval_keys_are_spelled_with_hyphens_in_errors():
    study = Study.from_toml('systems = ["sngan"]\n[eval]\nnum-sample = 3\n', "study.toml")
    with pytest.raises(UserError, match=r"^study.toml: \[eval\] has no key 'num-sample'; valid keys: num-samples, "):
        study.check()


def test_a_sweep_and_a_search_together_are_refused():
    study = Study.from_toml(TEXT + "[sweep]\nwidth = [0.25, 0.5]\n", "s.toml")
    with pytest.raises(UserError, match="not both"):
        study.check()


@pytest.mark.parametrize("table,message", [
    ({"k": 3, "n-critic": {"uniform": [1, 5]}}, "takes a list of values"),
    ({"k": 3, "seed": -1, "lr": [1e-4, 2e-4]}, "seed must be an integer >= 0"),
])
def test_ranges_only_for_real_numbers_and_a_seed_numpy_takes(table, message):
    with pytest.raises(UserError, match=message):
        Space.of(table, "s.toml: [search]")


def test_a_system_flag_the_search_would_overwrite_is_refused():
    study = Study.from_toml(TEXT.replace('systems = ["sngan", "msngan"]', 'systems = { sngan = { lr = 3e-4 } }'), "s.toml")
    with pytest.raises(UserError, match="system sngan sets lr, which \\[search\\] draws"):
        study.check()


def test_fid_sizes_are_checked_before_any_run():
    base = 'systems = ["sngan"]\n[eval]\nnum-samples = 500\n'
    with pytest.raises(UserError, match=r"fid-sizes must list at least two distinct sample counts in \[2, num-samples = 500\]"):
        Study.from_toml(base + "fid-sizes = [1250, 2500, 5000]\n", "s.toml").check()
    Study.from_toml(base + "fid-sizes = [125, 250, 500]\n", "s.toml").check()
