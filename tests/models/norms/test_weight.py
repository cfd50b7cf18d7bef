"""Weight norm (`wn`) and its inits (robust, data-dependent)."""
import math

import pytest
import torch
from torch import nn

from gans.models.norms import Slot, get_norm

from tests.models.norms.layers import conv


@pytest.mark.parametrize("slope", [0.0, 0.1])
def test_wn_robust_init_follows_arpit_et_al(slope):
    """g = sqrt(gain * fan_in / fan_out), gain = 2 / (1 + slope^2) (2 for ReLU, the paper's value);
    orthogonal directions; zero bias; and then E||act(W x)||^2 = ||x||^2 (the norm is preserved)."""
    torch.manual_seed(0)
    gain = 2 / (1 + slope**2)
    dense = get_norm(f"wn:slope={slope}")(Slot(lambda b: nn.Linear(256, 128, bias=b), 128, False, 1))
    g = dense.parametrizations.weight.original0.detach()
    assert torch.allclose(g, torch.full_like(g, math.sqrt(gain * 256 / 128)))
    assert dense.bias.abs().max() == 0
    direction = dense.weight.detach() / g
    assert torch.allclose(direction @ direction.T, torch.eye(128), atol=1e-5)  # orthonormal rows
    x = torch.randn(4096, 256)
    with torch.no_grad():
        ratio = nn.functional.leaky_relu(dense(x), slope).pow(2).sum(1).mean() / x.pow(2).sum(1).mean()
    assert ratio.item() == pytest.approx(1.0, abs=0.03)
    # convs: fan_in = in*k*k, fan_out = out*k*k; a depthwise conv reaches one channel: g = sqrt(gain)
    conv = get_norm(f"wn:slope={slope}")(Slot(lambda b: nn.Conv2d(8, 32, 3, 1, 1, bias=b), 32, False, 1))
    assert torch.allclose(conv.parametrizations.weight.original0, torch.tensor(math.sqrt(gain * 8 / 32)))
    dw = get_norm(f"wn:slope={slope}")(Slot(lambda b: nn.Conv2d(8, 8, 3, 1, 1, groups=8, bias=b), 8, False, 1))
    assert torch.allclose(dw.parametrizations.weight.original0, torch.tensor(math.sqrt(gain)))


def test_wn_robust_init_keeps_a_deep_leaky_stack_from_vanishing():
    torch.manual_seed(0)
    def stack(spec):
        return nn.Sequential(*[m for _ in range(12) for m in (
            get_norm(spec)(Slot(lambda b: nn.Linear(128, 128, bias=b), 128, False, 1)), nn.LeakyReLU(0.1))])
    x = torch.randn(512, 128)
    with torch.no_grad():
        robust = stack("wn")(x).pow(2).sum(1).mean() / x.pow(2).sum(1).mean()
        default = stack("wn:init=none")(x).pow(2).sum(1).mean() / x.pow(2).sum(1).mean()
    assert 0.7 < robust.item() < 1.4
    assert default.item() < 0.1  # torch's default init loses the signal in 12 layers


def test_wn_data_init_standardizes_the_first_batch_once_and_survives_load():
    torch.manual_seed(0)
    build = get_norm("wn:init=data")
    layer = build(Slot(conv, 6, False, 1))
    x = torch.randn(16, 3, 8, 8) * 4 + 3
    layer.eval()
    layer(x)  # eval mode: no init
    assert not layer.initialized
    layer.train()
    y = layer(x).detach()
    assert bool(layer.initialized) and "initialized" in layer.state_dict()
    assert y.mean(dim=(0, 2, 3)).abs().max() < 1e-4
    assert torch.allclose(y.std(dim=(0, 2, 3), unbiased=False), torch.ones(6), atol=1e-4)
    state = {k: v.clone() for k, v in layer.state_dict().items()}
    layer(torch.randn(16, 3, 8, 8))  # a second batch does not re-initialize
    assert all(torch.equal(state[k], v) for k, v in layer.state_dict().items())
    fresh = build(Slot(conv, 6, False, 1))
    fresh.load_state_dict(state)
    fresh.train()
    fresh(torch.randn(16, 3, 8, 8) - 5)  # resumed: the loaded g and bias stay
    assert all(torch.equal(state[k], v) for k, v in fresh.state_dict().items())
