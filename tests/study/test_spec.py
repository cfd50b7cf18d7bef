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
