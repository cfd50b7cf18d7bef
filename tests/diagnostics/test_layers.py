"""Finding the measured layers through D.slots() and torch's own types."""
import pytest
from torch import nn
from torch.nn.utils.parametrize import ParametrizationList

from gans.diagnostics.layers import after_bare, bare_layer, batch_statistic, measurement_mode, slots, weight_parameters
from gans.models.dcgan import Discriminator
from gans.models.norms import MeanNorm
from gans.models.norms.spectral import ProjectedSpectralNorm
from gans.models.resnet import ResNetDiscriminator


@pytest.mark.parametrize("make", [lambda n: Discriminator(width=1 / 16, image_size=16, norm=n),
                                  lambda n: ResNetDiscriminator(width=1 / 16, image_size=16, norm=n)])
@pytest.mark.parametrize("norm,after", [("bn", nn.BatchNorm2d), ("msn", MeanNorm), ("sn", None)])
def test_slots_bare_layers_and_what_follows(make, norm, after):
    D = make(norm)
    layers = slots(D)
    assert layers == list(D.slots())
    for s in layers[:-1]:
        assert isinstance(bare_layer(s), nn.Conv2d)
        assert [type(m) for m in after_bare(s)] == ([after] if after else [])
    assert isinstance(bare_layer(layers[-1]), nn.Linear) and after_bare(layers[-1]) == []  # the head: never centred


def test_measurement_mode_keeps_batch_statistics_and_freezes_power_iterations():
    D = measurement_mode(Discriminator(width=1 / 16, image_size=16, norm="msn:layers=4+6,update=projected"))
    assert all(m.training == batch_statistic(m) for m in D.modules())
    assert any(isinstance(m, MeanNorm) and m.training for m in D.modules())
    assert any(isinstance(m, ProjectedSpectralNorm) and not m.training for m in D.modules())
    D = measurement_mode(Discriminator(width=1 / 16, image_size=16, norm="sn"))
    assert all(not m.training for m in D.modules() if isinstance(m, ParametrizationList))


def test_weight_parameters_are_the_trained_tensors():
    D = Discriminator(width=1 / 16, image_size=16, norm="sn")
    conv = bare_layer(slots(D)[0])
    assert weight_parameters(conv)[0] is conv.parametrizations.weight.original
    plain = nn.Conv2d(2, 2, 3)
    assert weight_parameters(plain) == [plain.weight]


def test_a_critic_without_slots_is_refused():
    with pytest.raises(TypeError, match="slots"):
        slots(nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(1)))
