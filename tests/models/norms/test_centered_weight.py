"""Centered weight norm (`cwn`)."""
import pytest
import torch
from torch import nn

from gans.models.norms import Slot, get_norm

from tests.models.norms.layers import conv


@pytest.mark.parametrize("make,fan_in", [(conv, 27), (lambda b: nn.Linear(20, 7, bias=b), 20),
                                         (lambda b: nn.ConvTranspose2d(3, 5, 4, 2, 1, bias=b), 48)])
def test_cwn_rows_are_centred_with_norm_g(make, fan_in):
    torch.manual_seed(0)
    layer = get_norm("cwn")(Slot(make, 0, False, 1))
    p = layer.parametrizations.weight
    with torch.no_grad():
        p[0].g.copy_(torch.rand_like(p[0].g) * 3 + 0.1)
        p.original.add_(5.0)  # a large mean that the centring must remove
    out_dim = 1 if isinstance(layer, nn.ConvTranspose2d) else 0
    rows = layer.weight.detach().movedim(out_dim, 0).flatten(1)
    assert rows.shape[1] == fan_in
    assert rows.mean(dim=1).abs().max() < 1e-5  # float32 after removing a mean of 5
    assert torch.allclose(rows.norm(dim=1), p[0].g.detach(), rtol=1e-5)
    assert "parametrizations.weight.0.g" in layer.state_dict()


def test_cwn_refuses_single_input_units():
    with pytest.raises(ValueError, match="at least 2 inputs"):
        get_norm("cwn")(Slot(lambda b: nn.Conv2d(1, 4, 1, bias=b), 4, False, 1))
