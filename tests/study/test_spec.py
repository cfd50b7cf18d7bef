"""A study's [eval] table becomes its protocol through Protocol.build."""
from pathlib import Path

import pytest

from gans.config import resolve
from gans.core.errors import UserError
from gans.eval.protocol import Protocol
from gans.study.spec import EVAL_KEYS, Study, protocol_of, run_configs


def test_protocol_of_a_study():
    cfg = resolve({"preset": "sngan", "eval_reference": "ref.npz"})
    assert protocol_of(Study(systems={"sngan": {}}), cfg) == Protocol.build("study", reference="ref.npz")
    given = Study(systems={"sngan": {}}, eval={"num-samples": 10, "prdc-k": 3, "reference": "other", "seed": 5,
                                               "batch-size": 7})
    p = protocol_of(given, cfg)
    assert (p.name, p.num_samples, p.prdc_k, p.reference, p.seed, p.kid_subset_size) == ("study", 10, 3, "other", 5, 10)
    assert protocol_of(Study(systems={"sngan": {}}), resolve({"preset": "sngan"})).reference == cfg.dataset


def test_eval_keys_include_prdc_k():
    assert "prdc_k" in EVAL_KEYS
    Study(systems={"sngan": {}}, eval={"prdc-k": 3}).check()
    with pytest.raises(UserError, match="has no key 'prdc'"):
        Study(systems={"sngan": {}}, eval={"prdc": 3}).check()


def test_slurm_keys_are_submitits_and_the_study_sets_its_own():
    Study(systems={"sngan": {}}, slurm={"partition": "gpu", "gpus-per-node": 1, "mem": "32G"}).check()
    with pytest.raises(UserError, match="\\[slurm\\] has no key 'partitoin'; valid keys .*partition"):
        Study(systems={"sngan": {}}, slurm={"partitoin": "gpu"}).check()
    with pytest.raises(UserError, match="\\[slurm\\] cannot set 'timeout-min'"):
        Study(systems={"sngan": {}}, slurm={"timeout-min": 60}).check()


def test_max_requeues_is_stated_kept_and_not_part_of_the_experiment():
    study = Study.from_toml('systems = ["sngan"]\nmax-requeues = 5\n', "s.toml")
    assert study.max_requeues == 5 and Study.from_toml(study.to_toml(), "again.toml") == study
    assert study.same_experiment(Study(systems={"sngan": {}}))
    with pytest.raises(UserError, match="max-requeues must be an integer >= 0, got -1"):
        Study(systems={"sngan": {}}, max_requeues=-1).check()
    with pytest.raises(UserError, match="local executor restarts a job at most 5 times"):
        Study(systems={"sngan": {}}, max_requeues=6).check()
    Study(systems={"sngan": {}}, max_requeues=6, executor="slurm").check()


SWEEP = """seeds = [0, 1]
[systems]
sngan = {}
msngan-ns = { preset = "msngan", loss = "ns", lr = 0.5 }
[sweep]
lr = [1e-4, 2e-4]
betas = [[0.0, 0.9], [0.5, 0.999]]
"""


def test_a_sweep_runs_every_system_at_every_point_of_one_grid(tmp_path):
    study = Study.from_toml(SWEEP, "s.toml")
    study.check()
    assert Study.from_toml(study.to_toml(), "again.toml") == study
    cfgs = run_configs(study, tmp_path)
    assert len(cfgs) == 2 * 2 * 2 * 2  # seeds x systems x lr x betas
    by_name = {(c.system, c.seed): c for c in cfgs}
    one = by_name[("msngan-ns@lr=0.0001,betas=0.0:0.9", 1)]
    # the grid overrides the system's own value; the rest of the system stays
    assert (one.preset, one.loss, one.lr, one.betas) == ("msngan", "ns", 1e-4, (0.0, 0.9))
    assert one.out == str(tmp_path / "runs" / "msngan-ns@lr=0.0001,betas=0.0:0.9-seed1")
    assert by_name[("sngan@lr=0.0002,betas=0.5:0.999", 0)].preset == "sngan"
    assert [c.seed for c in cfgs[:8]] == [0] * 8  # still seed by seed


@pytest.mark.parametrize("table, message", [
    ("lr = 1e-4", "\\[sweep\\] lr must be a non-empty list"),
    ("lr = []", "\\[sweep\\] lr must be a non-empty list"),
    ("learning-rate = [1e-4]", "\\[sweep\\] has no flag 'learning_rate'"),
    ("seed = [1, 2]", "\\[sweep\\] cannot set 'seed'"),
])
def test_bad_sweeps_are_one_line(table, message):
    with pytest.raises(UserError, match=message):
        Study.from_toml(f'systems = ["sngan"]\n[sweep]\n{table}\n', "s.toml").check()


# every study file committed, so a new one cannot skip the check
@pytest.mark.parametrize("name", sorted(p.name for p in (Path(__file__).parents[2] / "samples" / "study").glob("*.toml")))
def test_the_committed_study_files_resolve_and_need_no_private_paths(name, tmp_path):
    from pathlib import Path

    path = Path(__file__).parents[2] / "samples" / "study" / name
    text = path.read_text()
    settings = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not any("shared" in line for line in settings)  # users have no ../shared
    study = Study.from_toml(text, str(path))
    study.check()
    assert run_configs(study, tmp_path)


def test_a_base_file_gives_its_tables_key_by_key_and_the_rest_is_replaced(tmp_path):
    (tmp_path / "study.toml").write_text('seeds = [0, 1, 2]\njobs = 2\nsystems = ["sngan", "msngan"]\n'
                                         '[train]\nsteps = 1500\nwidth = 0.25\n[eval]\nnum-samples = 500\n')
    (tmp_path / "sub").mkdir()
    text = 'base = "../study.toml"\nseeds = [7]\n[train]\nsteps = 20\n[sweep]\nlr = [1e-4, 2e-4]\n'
    study = Study.from_toml(text, str(tmp_path / "sub" / "screen.toml"))
    assert study.seeds == [7] and study.jobs == 2 and list(study.systems) == ["sngan", "msngan"]
    assert study.train == {"steps": 20, "width": 0.25} and study.eval == {"num_samples": 500}
    assert study.sweep == {"lr": [1e-4, 2e-4]}
    assert "base" not in study.to_toml()  # what a study stores is complete by itself


@pytest.mark.parametrize("files,message", [
    ({"a.toml": 'base = "missing.toml"\nsystems = ["sngan"]\n'}, "base file .*missing.toml does not exist"),
    ({"a.toml": 'base = "b.toml"\n', "b.toml": 'base = "a.toml"\nsystems = ["sngan"]\n'}, "comes back to itself"),
])
def test_a_bad_base_is_one_line(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(UserError, match=message):
        Study.from_toml(files["a.toml"], str(tmp_path / "a.toml"))


@pytest.mark.parametrize("text, message", [
    ('seeds = 5\nsystems = ["sngan"]', "seeds must be a list of integers, got 5"),
    ('seeds = [0, 1, 0]\nsystems = ["sngan"]', "seeds lists 0 twice: each seed is one run"),
    ('slurm = 3\nsystems = ["sngan"]', "\\[slurm\\] must be a table"),
    ('systems = ["sngan"]\n[eval]\nnum-samples = "abc"', "\\[eval\\] num-samples must be an integer >= 1, got 'abc'"),
    ('systems = ["sngan"]\n[eval]\nrepeats = 0', "\\[eval\\] repeats must be an integer >= 1, got 0"),
    ('systems = ["sngan"]\n[eval]\nreference = 3', "\\[eval\\] reference must be a path or a name, got 3"),
])
def test_bad_study_values_are_one_line_before_anything_is_written(text, message):
    with pytest.raises(UserError, match=message):
        Study.from_toml(text + "\n", "s.toml").check()
    with pytest.raises(UserError, match="a study needs at least one system"):  # --systems , gives none
        Study(systems={}).check()
