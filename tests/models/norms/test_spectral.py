"""Spectral norm (`sn`) against an explicit SVD."""
import pytest
import torch
from torch import nn

from gans.models.norms import Slot, get_norm

from tests.models.norms.layers import conv, spectral_layer


@pytest.mark.parametrize("make,out", [(conv, 6), (lambda b: nn.Linear(20, 7, bias=b), 7)])
@pytest.mark.parametrize("norm", ["sn", "msn"])
def test_spectral_weight_has_unit_largest_singular_value(make, out, norm):
    torch.manual_seed(0)
    layer = get_norm(norm)(Slot(make, out, False))
    sn = spectral_layer(layer)
    with torch.no_grad():
        sn.parametrizations.weight.original.mul_(7.0)  # far from 1 before normalization
    x = torch.randn(4, 3, 8, 8) if isinstance(sn, nn.Conv2d) else torch.randn(4, 20)
    layer.train()
    for _ in range(100):  # one power iteration per training forward
        layer(x)
    layer.eval()
    w = sn.weight.detach()
    sigma = torch.linalg.matrix_norm(w.reshape(w.shape[0], -1), ord=2)
    raw = torch.linalg.matrix_norm(sn.parametrizations.weight.original.detach().reshape(w.shape[0], -1), ord=2)
    assert raw > 3  # the un-normalized weight really is large
    assert sigma == pytest.approx(1.0, abs=1e-3)


def test_spectral_norm_keeps_power_iteration_vectors_in_state_dict():
    layer = get_norm("sn")(Slot(conv, 6, False))
    keys = set(layer.state_dict())
    assert any(k.endswith("_u") for k in keys) and any(k.endswith("_v") for k in keys)
