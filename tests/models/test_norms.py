import pytest
import torch
from torch import nn

from gans.models import Discriminator
from gans.models.norms import NORMS, MeanNorm, Slot, get_norm, parse_spec


def _conv(bias: bool) -> nn.Module:
    return nn.Conv2d(3, 6, 3, 1, 1, bias=bias)


def _spectral_layer(module: nn.Module) -> nn.Module:
    return module[0] if isinstance(module, nn.Sequential) else module


@pytest.mark.parametrize("make,out", [(_conv, 6), (lambda b: nn.Linear(20, 7, bias=b), 7)])
@pytest.mark.parametrize("norm", ["sn", "msn"])
def test_spectral_weight_has_unit_largest_singular_value(make, out, norm):
    torch.manual_seed(0)
    layer = get_norm(norm)(Slot(make, out, False))
    sn = _spectral_layer(layer)
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
    layer = get_norm("sn")(Slot(_conv, 6, False))
    keys = set(layer.state_dict())
    assert any(k.endswith("_u") for k in keys) and any(k.endswith("_v") for k in keys)


def test_msn_train_mode_output_has_batch_mean_beta_and_no_variance_division():
    torch.manual_seed(0)
    layer = get_norm("msn")(Slot(_conv, 6, False))
    mean_norm = layer[1]
    assert isinstance(mean_norm, MeanNorm) and mean_norm.weight is None  # no gamma by default
    assert layer[0].bias is None  # beta replaces the conv bias
    with torch.no_grad():
        mean_norm.bias.copy_(torch.randn(6))
    x = torch.randn(16, 3, 8, 8) * 5 + 2
    layer.train()
    y = layer(x)
    assert torch.allclose(y.mean(dim=(0, 2, 3)), mean_norm.bias, atol=1e-5)
    # centred but not rescaled: the spread equals that of the bare spectral conv's output
    pre = layer[0](x)
    assert torch.allclose(y.std(dim=(0, 2, 3)), pre.std(dim=(0, 2, 3)), rtol=1e-4)


def test_msn_eval_mode_uses_running_mean_with_momentum_point_one():
    torch.manual_seed(0)
    layer = get_norm("msn")(Slot(_conv, 6, False))
    x1, x2 = torch.randn(16, 3, 8, 8) + 1, torch.randn(16, 3, 8, 8) - 3
    layer.train()
    with torch.no_grad():
        m1 = layer[0](x1).mean(dim=(0, 2, 3))
        layer(x1)
        m2 = layer[0](x2).mean(dim=(0, 2, 3))
        layer(x2)
    expected = 0.9 * (0.1 * m1) + 0.1 * m2
    assert torch.allclose(layer[1].running_mean, expected, atol=1e-5)
    layer.eval()
    x3 = torch.randn(5, 3, 8, 8)
    with torch.no_grad():
        y = layer(x3)
        ref = layer[0](x3) - expected.view(1, -1, 1, 1) + layer[1].bias.view(1, -1, 1, 1)
    assert torch.allclose(y, ref, atol=1e-5)
    # and the eval output no longer depends on the batch it is in
    assert torch.allclose(layer(x3[:2]), y[:2], atol=1e-5)


def test_msn_gamma_is_an_option():
    layer = get_norm("msn:gamma=true")(Slot(_conv, 6, False))
    assert isinstance(layer[1].weight, nn.Parameter)


@pytest.mark.parametrize("spec,centred", [("msn", [1, 2, 3, 4, 5, 6, 7]), ("msn:layers=seed", [4, 6, 7]),
                                          ("msn:layers=2+5", [2, 5]), ("msn:layers=3", [3])])
def test_msn_layers_option_places_the_centring(spec, centred):
    """The seed code centres only after the critic's 4th, 6th and 7th convs; the rest stay SN."""
    D = Discriminator(width=1 / 16, image_size=16, norm=spec)
    convs = [m for m in D.body if not isinstance(m, nn.LeakyReLU)]
    assert [i for i, m in enumerate(convs, 1) if any(isinstance(x, MeanNorm) for x in m.modules())] == centred
    assert all(hasattr(m if isinstance(m, nn.Conv2d) else m[0], "parametrizations") for m in convs)  # all SN


def test_spec_parsing():
    assert parse_spec("msn:layers=4+6+7,gamma=true") == ("msn", {"layers": (4, 6, 7), "gamma": True})
    assert parse_spec("sn") == ("sn", {})
    assert parse_spec("x:c=1.5,n=2,mode=fast") == ("x", {"c": 1.5, "n": 2, "mode": "fast"})
    with pytest.raises(ValueError, match="has no option 'c'"):
        get_norm("sn:c=2")


@pytest.mark.parametrize("norm", list(NORMS))
def test_head_never_uses_batch_statistics(norm):
    head = get_norm(norm)(Slot(lambda b: nn.Linear(10, 1, bias=b), 1, True))
    assert not any(isinstance(m, (nn.BatchNorm1d, MeanNorm, nn.GroupNorm)) for m in head.modules())


def test_batch_norm_drops_conv_bias_and_layer_norm_is_per_sample():
    bn = get_norm("bn")(Slot(_conv, 6, False))
    assert bn[0].bias is None and isinstance(bn[1], nn.BatchNorm2d)
    ln = get_norm("ln")(Slot(_conv, 6, False))
    x = torch.randn(4, 3, 8, 8)
    assert torch.allclose(ln(x)[:1], ln(x[:1]), atol=1e-5)  # no mixing across the batch


def test_unknown_norm_lists_choices():
    with pytest.raises(ValueError, match="bn, sn, msn"):
        get_norm("weird")
