"""Mean spectral norm (`msn`): the centring in train and eval mode, its options and placement."""
import pytest
import torch
from torch import nn

from gans.models import Discriminator
from gans.models.norms import MeanNorm, Slot, get_norm

from tests.models.norms.layers import conv


def test_msn_train_mode_output_has_batch_mean_beta_and_no_variance_division():
    torch.manual_seed(0)
    layer = get_norm("msn")(Slot(conv, 6, False))
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
    layer = get_norm("msn")(Slot(conv, 6, False))
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
    layer = get_norm("msn:gamma=true")(Slot(conv, 6, False))
    assert isinstance(layer[1].weight, nn.Parameter)


@pytest.mark.parametrize("spec,centred", [("msn", [1, 2, 3, 4, 5, 6, 7]), ("msn:layers=seed", [4, 6, 7]),
                                          ("msn:layers=2+5", [2, 5]), ("msn:layers=3", [3])])
def test_msn_layers_option_places_the_centring(spec, centred):
    """The seed code centres only after the critic's 4th, 6th and 7th convs; the rest stay SN."""
    D = Discriminator(width=1 / 16, image_size=16, norm=spec)
    convs = [m for m in D.body if not isinstance(m, nn.LeakyReLU)]
    assert [i for i, m in enumerate(convs, 1) if any(isinstance(x, MeanNorm) for x in m.modules())] == centred
    assert all(hasattr(m if isinstance(m, nn.Conv2d) else m[0], "parametrizations") for m in convs)  # all SN
