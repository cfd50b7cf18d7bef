"""Effective operators and their norms against explicit matrices (jacrev) and SVD."""
import numpy as np
import pytest
import torch
from torch import nn

from gans.diagnostics.operators import effective_weight, operator_norm, reshaped_singular_values
from gans.models.norms import MeanNorm


def _matrix(f, shape) -> torch.Tensor:
    """The matrix of a linear (or affine: its linear part) map on inputs of ``shape``, by jacrev."""
    jac = torch.func.jacrev(lambda v: f(v[None]).flatten())(torch.zeros(*shape, dtype=torch.float64))
    return jac.reshape(jac.shape[0], -1).detach()


def _conv(conv: nn.Conv2d, weight: torch.Tensor):
    return lambda x: nn.functional.conv2d(x, weight, None, conv.stride, conv.padding, conv.dilation, conv.groups)


@pytest.mark.parametrize("cin,cout,k,stride,groups,size", [
    (3, 4, 3, 1, 1, 6), (4, 4, 4, 2, 1, 6), (4, 4, 3, 1, 4, 5), (2, 3, 4, 2, 1, 7)])
def test_conv_operator_norm_equals_the_explicit_matrix(cin, cout, k, stride, groups, size):
    torch.manual_seed(0)
    conv = nn.Conv2d(cin, cout, k, stride, 1, groups=groups, bias=False).double()
    explicit = float(torch.linalg.svdvals(_matrix(_conv(conv, conv.weight), (cin, size, size)))[0])
    assert operator_norm(conv.weight, conv, (cin, size, size), iterations=500) == pytest.approx(explicit, rel=1e-4)
    reshaped = float(reshaped_singular_values(conv.weight)[0])
    assert explicit != pytest.approx(reshaped, rel=1e-3)  # the two really differ: the point of the measurement


def test_dense_operator_norm_is_the_largest_singular_value():
    torch.manual_seed(0)
    dense = nn.Linear(7, 3)
    assert operator_norm(dense.weight, dense, (7,)) == pytest.approx(np.linalg.svd(dense.weight.detach().numpy())[1][0],
                                                                      rel=1e-6)
    w = torch.randn(5, 2, 3, 3)
    assert np.allclose(reshaped_singular_values(w).numpy(), np.linalg.svd(w.reshape(5, -1).numpy())[1], atol=1e-5)


def _randomized_bn(channels: int, dims: int = 2) -> nn.Module:
    bn = (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(channels).double()
    with torch.no_grad():
        bn.weight.uniform_(0.5, 3.0)
        bn.bias.uniform_(-1, 1)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.05, 4.0)
    return bn


def test_bn_folding_equals_the_eval_mode_bn_conv_map():
    torch.manual_seed(1)
    conv = nn.Conv2d(3, 4, 3, 2, 1, bias=False).double()
    slot = nn.Sequential(conv, _randomized_bn(4)).eval()
    explicit = _matrix(slot, (3, 6, 6))  # BN(conv(x)) with running statistics: affine, this is its linear part
    folded = effective_weight(slot)
    assert torch.allclose(_matrix(_conv(conv, folded), (3, 6, 6)), explicit, atol=1e-12)
    sigma = float(torch.linalg.svdvals(explicit)[0])
    assert operator_norm(folded, conv, (3, 6, 6), iterations=500) == pytest.approx(sigma, rel=1e-4)
    # the raw conv weight (the pre-folding reading) is another operator altogether
    assert operator_norm(conv.weight, conv, (3, 6, 6), iterations=500) != pytest.approx(sigma, rel=0.05)


def test_bn_folding_of_a_dense_slot():
    torch.manual_seed(2)
    dense = nn.Linear(5, 3, bias=False).double()
    slot = nn.Sequential(dense, _randomized_bn(3, dims=1)).eval()
    assert torch.allclose(effective_weight(slot), _matrix(slot, (5,)), atol=1e-12)


@pytest.mark.parametrize("scale", [False, True])
def test_msn_folds_its_gamma_only(scale):
    torch.manual_seed(3)
    conv = nn.Conv2d(2, 3, 3, 1, 1, bias=False).double()
    norm = MeanNorm(3, scale=scale).double()
    with torch.no_grad():
        norm.running_mean.uniform_(-1, 1)
        norm.bias.uniform_(-1, 1)
        if scale:
            norm.weight.uniform_(0.2, 3.0)
    slot = nn.Sequential(conv, norm).eval()
    assert torch.allclose(_matrix(_conv(conv, effective_weight(slot)), (2, 5, 5)), _matrix(slot, (2, 5, 5)),
                          atol=1e-12)
    assert torch.equal(effective_weight(slot), conv.weight.detach()) != scale


def test_no_effective_operator_behind_a_group_norm():
    slot = nn.Sequential(nn.Conv2d(2, 4, 3, bias=False), nn.GroupNorm(1, 4))
    assert effective_weight(slot) is None
    bn = nn.Sequential(nn.Conv2d(2, 4, 3, bias=False), nn.BatchNorm2d(4, track_running_stats=False))
    assert effective_weight(bn) is None  # eval mode would use the batch's statistics: no fixed map


def test_spectral_norm_slot_uses_the_normalized_weight():
    from gans.models.norms import Slot, get_norm

    torch.manual_seed(4)
    slot = get_norm("sn")(Slot(lambda b: nn.Conv2d(3, 4, 3, bias=b), 4, False, 1)).eval()
    assert torch.allclose(effective_weight(slot), slot.weight.detach().double())
