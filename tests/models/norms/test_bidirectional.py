"""BSSN and SSN (`bssn`, `ssn`): both scaled spectral norms converge to c."""
import pytest
import torch
from torch import nn

from gans.models.norms import Slot, get_norm

from tests.models.norms.layers import conv, spectral


@pytest.mark.parametrize("make,x", [(conv, torch.randn(4, 3, 8, 8)),
                                    (lambda b: nn.Linear(20, 7, bias=b), torch.randn(4, 20))])
@pytest.mark.parametrize("norm,c", [("bssn", 1.0), ("bssn", 2.5), ("ssn", 1.0), ("ssn", 0.7)])
def test_scaled_spectral_norms_converge_to_c(make, x, norm, c):
    torch.manual_seed(0)
    layer = get_norm(f"{norm}:c={c}")(Slot(make, 0, False, 1))
    with torch.no_grad():
        layer.parametrizations.weight.original.mul_(7.0)
    layer.train()
    for _ in range(100):  # one power iteration per training forward
        layer(x)
    layer.eval()
    s1, s2 = spectral(layer.weight.detach())
    if norm == "bssn":
        assert (s1 + s2) / 2 == pytest.approx(c, rel=1e-3)
    else:
        assert s1 == pytest.approx(c, rel=1e-3)
    if isinstance(layer, nn.Conv2d):  # the two reshapes differ, so bssn and ssn really are different
        assert abs(s1 - s2) > 0.05 * c


def test_bssn_keeps_both_power_iterations_in_the_state_dict_and_eval_leaves_them():
    torch.manual_seed(0)
    layer = get_norm("bssn")(Slot(conv, 6, False, 1))
    keys = {k.rsplit(".", 1)[-1] for k in layer.state_dict()}
    assert {"_u1", "_v1", "_u2", "_v2"} <= keys
    assert {"_u1", "_v1"} <= {k.rsplit(".", 1)[-1] for k in get_norm("ssn")(Slot(conv, 6, False, 1)).state_dict()}
    assert "_u2" not in {k.rsplit(".", 1)[-1] for k in get_norm("ssn")(Slot(conv, 6, False, 1)).state_dict()}
    with torch.no_grad():
        layer.parametrizations.weight.original.add_(torch.randn(6, 3, 3, 3))  # power iteration has work to do
    x = torch.randn(2, 3, 8, 8)
    before = {k: v.clone() for k, v in layer.state_dict().items()}
    layer.eval()
    layer(x)
    assert all(torch.equal(before[k], v) for k, v in layer.state_dict().items())
    layer.train()
    layer(x)
    assert not torch.equal(before["parametrizations.weight.0._u2"], layer.state_dict()["parametrizations.weight.0._u2"])


def test_bssn_gradient_survives_two_forwards_before_backward():
    """The critic sees real and fake in two training forwards, then one backward."""
    layer = get_norm("bssn")(Slot(conv, 6, False, 1))
    x = torch.randn(2, 3, 8, 8)
    (layer(x).sum() - layer(x + 1).sum()).backward()
    assert layer.parametrizations.weight.original.grad.abs().sum() > 0
