"""Training-time evaluation's protocol comes from Protocol.build, like every other."""
from gans.config import resolve
from gans.eval.protocol import Protocol
from gans.training.periodic_eval import train_time_protocol


def test_train_time_protocol():
    cfg = resolve({"preset": "sngan", "seed": 3, "eval_samples": 10, "eval_reference": "ref.npz",
                   "eval_reference_count": 0})
    p = train_time_protocol(cfg)
    assert p == Protocol.build("train-time", num_samples=10, reference="ref.npz", seed=5)
    assert (p.name, p.repeats, p.reference_count, p.kid_subset_size, p.prdc_k) == ("train-time", 1, None, 10, 5)
    assert train_time_protocol(resolve({"preset": "sngan", "eval_reference_count": 50})).reference == cfg.dataset
