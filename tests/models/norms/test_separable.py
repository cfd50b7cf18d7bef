"""Depthwise-separable spectral norm (`dsn`) and the separable critic it needs."""
import pytest
import torch
from torch import nn

from gans.config import resolve
from gans.core.errors import UserError
from gans.models import Discriminator
from gans.models.norms import MeanNorm, Slot, get_norm
from gans.runs.networks import build_discriminator

from tests.models.norms.layers import conv, depthwise, input_gradient, operator_norm


@pytest.mark.parametrize("k,s,side,low", [(3, 1, 6, 0.8), (3, 1, 12, 0.9), (4, 2, 6, 0.4)])
def test_dsn_bounds_the_zero_padded_depthwise_operator(k, s, side, low):
    """The DFT bound holds for zero padding; measured: 0.875 (3x3, 6x6), ~0.96 (3x3, 12x12),
    ~0.54 (4x4 stride 2, 6x6) - tighter as the image grows, loose with stride."""
    torch.manual_seed(0)
    layer = get_norm("dsn:scale=1")(Slot(depthwise(k, s), 3, False, 1))
    with torch.no_grad():
        layer.parametrizations.weight.original.mul_(10)
    sigma = operator_norm(layer, (1, 3, side, side))
    assert low < sigma <= 1 + 1e-5


def test_dsn_is_exact_for_circular_padding_on_its_grid():
    torch.manual_seed(0)
    layer = get_norm("dsn:grid=8,scale=1")(Slot(depthwise(padding_mode="circular"), 3, False, 1))
    assert operator_norm(layer, (1, 3, 8, 8)) == pytest.approx(1.0, abs=1e-4)


def test_dsn_pointwise_and_dense_layers_get_spectral_norm():
    torch.manual_seed(0)
    layer = get_norm("dsn:scale=1")(Slot(lambda b: nn.Conv2d(5, 7, 1, bias=b), 7, False, 2))
    with torch.no_grad():
        layer.parametrizations.weight.original.mul_(7)
    x = torch.randn(2, 5, 4, 4)
    for _ in range(100):
        layer(x)
    layer.eval()
    assert torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2).item() == pytest.approx(1, abs=1e-3)
    assert operator_norm(layer, (1, 5, 3, 3)) == pytest.approx(1, abs=1e-3)
    head = get_norm("dsn:scale=1")(Slot(lambda b: nn.Linear(10, 1, bias=b), 1, True, 15))
    assert hasattr(head, "parametrizations")


def test_dsn_with_the_standard_critic_names_the_separablearch():
    with pytest.raises(ValueError, match="--d-arch separable"):
        Discriminator(width=1 / 16, image_size=16, norm="dsn")
    with pytest.raises(ValueError, match="--d-arch separable"):
        get_norm("dsn")(Slot(conv, 6, False, 1))


@pytest.mark.parametrize("norm", ["dsn", "sn", "bssn", "wn", "cwn", "bn", "msn", "none"])
def test_separable_critic_shapes_in_train_and_eval(norm):
    D = Discriminator(width=1 / 16, image_size=16, norm=norm, arch="separable")
    convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 14
    assert [c.groups == c.in_channels > 1 for c in convs] == [True, False] * 7  # depthwise, pointwise
    assert all(c.kernel_size == (1, 1) for c in convs[1::2])
    assert [c.stride[0] for c in convs[::2]] == [1, 2, 1, 2, 1, 2, 1]
    x = torch.randn(4, 3, 16, 16)
    for mode in (True, False):
        D.train(mode)
        assert D(x).shape == (4,)


def test_separable_slots_count_everyconv():
    """Slot indices run 1..14 over depthwise and pointwise convs, the head is 15: msn:layers=1+14
    centres after the first depthwise and the last pointwise conv only."""
    D = Discriminator(width=1 / 16, image_size=16, norm="msn:layers=1+14", arch="separable")
    slots = [m for m in D.body if not isinstance(m, nn.LeakyReLU)]
    assert len(slots) == 14
    assert [i for i, m in enumerate(slots, 1) if any(isinstance(x, MeanNorm) for x in m.modules())] == [1, 14]


def test_separable_arch_is_a_config_field():
    cfg = resolve({"norm": "dsn", "d_arch": "separable", "width": 1 / 16, "image_size": 16})
    D = build_discriminator(cfg)
    assert sum(isinstance(m, nn.Conv2d) for m in D.modules()) == 14
    with pytest.raises(UserError, match="--d-arch"):
        resolve({"d_arch": "mobile"})
    with pytest.raises(ValueError, match="arch"):
        Discriminator(arch="mobile")


def test_dsn_scale_multiplies_the_bounded_weight():
    from gans.models.norms import Slot, get_norm
    from gans.models.norms.separable import depthwise_norm

    torch.manual_seed(0)
    layer = get_norm("dsn:scale=2.5")(Slot(lambda b: nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=b), 4, False, 1))
    assert float(depthwise_norm(layer.weight.detach(), 64)) == pytest.approx(2.5, rel=1e-5)


def test_the_separable_critic_sees_its_input_only_with_a_scale():
    """At init, 14 bounded layers shrink input differences ~0.4x each: with c = 1 the critic's input
    gradient is ~1e-7 (it cannot train); the dsn default c = 2 brings it to the order of the
    standard SN critic's."""
    torch.manual_seed(0)
    x = torch.rand(16, 3, 32, 32) * 2 - 1
    torch.manual_seed(0)
    standard = input_gradient(Discriminator(0.25, norm="sn"), x)
    torch.manual_seed(0)
    unscaled = input_gradient(Discriminator(0.25, norm="dsn:scale=1", arch="separable"), x)
    torch.manual_seed(0)
    default = input_gradient(Discriminator(0.25, norm="dsn", arch="separable"), x)
    assert unscaled < 1e-3 * standard
    assert 0.1 * standard < default < 10 * standard
