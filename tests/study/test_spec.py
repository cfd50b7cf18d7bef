"""A study's [eval] table becomes its protocol through Protocol.build."""
import pytest

from gans.config import resolve
from gans.core.errors import UserError
from gans.eval.protocol import Protocol
from gans.study.spec import EVAL_KEYS, Study, protocol_of


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
