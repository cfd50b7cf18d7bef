"""The generator's EMA: the warmed-up decay against a hand-written average, step counters copied,
and a state dict that resumes it exactly."""
import pytest
import torch
from torch import nn

from gans.training.ema import EMA


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))


def _train_a_little(net: nn.Sequential, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    net.train()
    net(torch.randn(4, 3, generator=g))  # running statistics and num_batches_tracked move
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn(p.shape, generator=g))


def test_ema_follows_the_warmed_up_decay():
    net = _net()
    ema = EMA(net, decay=0.6)
    expected = {k: v.double() for k, v in net.state_dict().items()}
    for n in range(1, 16):  # (1 + n) / (10 + n) reaches 0.6 at n = 12.5: warm-up, then the cap
        _train_a_little(net, n)
        ema.update(net)
        keep = min(0.6, (1 + n) / (10 + n))
        assert ema.current_decay() == keep
        for k, v in net.state_dict().items():
            if v.dtype.is_floating_point:
                expected[k] = keep * expected[k] + (1 - keep) * v.double()
                assert torch.allclose(ema.model.state_dict()[k].double(), expected[k], rtol=1e-5, atol=1e-6), (n, k)
    assert int(ema.model[1].num_batches_tracked) == int(net[1].num_batches_tracked) == 15  # copied, not averaged


def test_decay_caps_at_the_given_value():
    ema = EMA(_net(), decay=0.5)
    ema.updates = 100
    assert ema.current_decay() == 0.5


def test_the_average_is_a_frozen_copy():
    net = _net()
    ema = EMA(net, decay=0.99)
    assert ema.model is not net and not ema.model.training
    assert not any(p.requires_grad for p in ema.model.parameters())


def test_state_dict_format_and_exact_resume():
    straight, net = EMA(_net(), 0.99), _net()
    for n in range(5):
        _train_a_little(net, n)
        straight.update(net)
    net = _net()
    first = EMA(net, 0.99)
    for n in range(2):
        _train_a_little(net, n)
        first.update(net)
    state = first.state_dict()
    assert set(state) == {"model", "updates", "decay"} and state["updates"] == 2 and state["decay"] == 0.99
    resumed = EMA(_net(), 0.99)
    resumed.load_state_dict(state)
    for n in range(2, 5):
        _train_a_little(net, n)
        resumed.update(net)
    for (k, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), k


@pytest.mark.parametrize("decay", [0.0, 0.5])
def test_small_decays_track_the_model(decay):
    net = _net()
    ema = EMA(net, decay)
    _train_a_little(net, 1)
    ema.update(net)
    w, theirs = ema.model[0].weight, net[0].weight
    assert torch.allclose(w, theirs) if decay == 0 else not torch.allclose(w, theirs)
