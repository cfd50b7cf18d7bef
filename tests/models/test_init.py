"""Initialization schemes: what each layer holds after construction, checked against the
references' formulas (std 0.02 by the sample std of many entries), and before the norm wraps it."""
import pytest
import torch
from torch import nn

from gans.config import INITS as CONFIG_INITS
from gans.models import Discriminator, Generator
from gans.models.init import INITS
from gans.models.norms.spectral import ProjectedSpectralNorm


def _raw(m: nn.Module) -> torch.Tensor:
    return m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight


def test_config_names_the_same_schemes():
    assert tuple(CONFIG_INITS) == INITS


@pytest.mark.parametrize("norm", ["sn", "bn", "msn", "none"])
def test_normal02_sets_every_weight_and_zero_bias(norm):
    torch.manual_seed(0)
    D = Discriminator(0.5, norm=norm, init="normal02")
    layers = [m for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 8
    for m in layers:
        w = _raw(m)
        if w.numel() > 2000:
            assert w.std().item() == pytest.approx(0.02, rel=0.1) and abs(w.mean().item()) < 0.002
        if m.bias is not None:
            assert torch.count_nonzero(m.bias) == 0


def test_msn_code_is_the_authors_filler():
    torch.manual_seed(0)
    G = Generator(width=0.5, norm="bn", init="msn-code")
    D = Discriminator(0.5, norm="sn:update=projected", init="msn-code")
    convs = [m for m in (*G.modules(), *D.modules()) if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert all(m.weight.std().item() == pytest.approx(0.02, rel=0.15) for m in convs if m.weight.numel() > 2000)
    assert any(m.bias is not None and torch.count_nonzero(m.bias) > 0 for m in convs)  # conv biases keep PyTorch's default
    head = D.head.layer
    bound = 1 / head.in_features ** 0.5  # the dense head keeps PyTorch's default (their filler misses SNLinear)
    assert head.weight.abs().max() <= bound and head.weight.std() > 0.3 * bound
    bns = [m for m in G.modules() if isinstance(m, nn.BatchNorm2d)]
    assert bns and all(abs(b.weight.mean().item() - 1) < 0.01 and 0 < b.weight.std() < 0.04 for b in bns)


def test_spectral_vectors_start_from_the_initialized_weight():
    """torch's parametrization runs its first power iterations at registration: on the new weight."""
    torch.manual_seed(0)
    D = Discriminator(0.5, norm="sn", init="normal02").eval()
    conv = D.body[0]
    W = conv.parametrizations.weight.original.detach().reshape(conv.out_channels, -1)
    assert torch.linalg.matrix_norm(conv.weight.detach().reshape(conv.out_channels, -1), 2) == pytest.approx(1, abs=0.05)
    assert W.std().item() == pytest.approx(0.02, rel=0.2)


def test_projected_spectral_norm_is_the_authors_update():
    """Each training forward replaces W by W / sigma_max(W) (checked against the SVD), and no gradient
    flows through sigma: the weight's gradient is the plain conv's gradient at the normalized weight."""
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 6, 3, padding=1)
    W0 = conv.weight.detach().clone()
    sn = ProjectedSpectralNorm(conv, iterations=100).train()
    x = torch.randn(2, 4, 5, 5)
    sn(x).sum().backward()
    sigma = torch.linalg.matrix_norm(W0.reshape(6, -1), 2)
    assert torch.allclose(conv.weight, W0 / sigma, atol=1e-6)
    plain = nn.Conv2d(4, 6, 3, padding=1)
    plain.weight.data, plain.bias.data = (W0 / sigma).clone(), conv.bias.detach().clone()
    plain(x).sum().backward()
    assert torch.allclose(conv.weight.grad, plain.weight.grad, atol=1e-5)


def test_projected_spectral_norm_keeps_two_batches_backpropagating():
    """The real batch's graph saved the weight before the fake batch's forward replaced it."""
    D = Discriminator(0.25, norm="msn:layers=seed,gamma=true,update=projected,iterations=5", init="msn-code")
    loss = D(torch.randn(4, 3, 32, 32)).mean() - D(torch.randn(4, 3, 32, 32)).mean()
    loss.backward()
    assert all(p.grad is not None for p in D.parameters())
