import math

import pytest
import torch

from gans.losses import LOSSES, get_loss


def test_wgan_objectives():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-2.0, 0.0])
    assert get_loss("wgan").d(real, fake).item() == pytest.approx(-1.0 - 2.0)
    assert get_loss("wgan").g(fake).item() == pytest.approx(1.0)


def test_hinge_objectives():
    real, fake = torch.tensor([0.5, 2.0]), torch.tensor([-0.5, 1.0])
    expected = ((1 - 0.5) + 0) / 2 + ((1 - 0.5) + (1 + 1.0)) / 2
    assert get_loss("hinge").d(real, fake).item() == pytest.approx(expected)
    assert get_loss("hinge").g(fake).item() == pytest.approx(-0.25)


def test_non_saturating_is_binary_cross_entropy_on_logits():
    real, fake = torch.tensor([0.3, -1.2]), torch.tensor([2.0, -0.4])
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    expected = bce(real, torch.ones(2)) + bce(fake, torch.zeros(2))
    assert torch.allclose(get_loss("ns").d(real, fake), expected)
    g = -sum(math.log(1 / (1 + math.exp(-f))) for f in (2.0, -0.4)) / 2
    assert get_loss("ns").g(fake).item() == pytest.approx(g)


def test_registry():
    assert set(LOSSES) == {"wgan", "hinge", "ns"}
    with pytest.raises(ValueError, match="wgan, hinge, ns"):
        get_loss("lsgan")
