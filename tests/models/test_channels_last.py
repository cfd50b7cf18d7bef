"""--channels-last changes only the memory layout: every norm's networks give the contiguous
networks' outputs, gradients and updated buffers (power-iteration vectors, running statistics)
to float round-off."""
import copy

import pytest
import torch

from gans.models import NETWORKS
from gans.models.norms import NORMS

CL = torch.channels_last


def _close(a: torch.Tensor, b: torch.Tensor, rel: float = 1e-5) -> bool:
    """Equal to ``rel`` of the tensor's largest magnitude (float32 sums taken in another order), or
    to rel x 1e-2 for tensors that are zero but for round-off (running means after a norm)."""
    return bool((a.float() - b.float()).abs().max() <= rel * a.float().abs().max().clamp_min(1e-2))


def _pair(net: torch.nn.Module) -> tuple[torch.nn.Module, torch.nn.Module]:
    return net, copy.deepcopy(net).to(memory_format=CL)


def _check(a: torch.nn.Module, b: torch.nn.Module, x: torch.Tensor, x_cl: torch.Tensor) -> None:
    assert all(p.is_contiguous(memory_format=CL) for p in b.parameters() if p.dim() == 4)
    for train in (True, False):  # batch statistics and power iterations, then running statistics
        a.train(train), b.train(train)
        ya, yb = a(x), b(x_cl)
        assert _close(ya, yb), (train, (ya - yb).abs().max())
        if train:
            weights = torch.linspace(-1, 1, ya.numel()).view_as(ya)  # every output matters to the gradient
            (ya * weights).sum().backward()
            (yb * weights).sum().backward()
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        if p.grad is not None:  # a BN weight's gradient sums many cancelling terms: 1e-4 (the CI CPU went past 1e-5)
            assert _close(p.grad, q.grad, 1e-4), (name, (p.grad - q.grad).abs().max())
    for (name, s), t in zip(a.state_dict().items(), b.state_dict().values()):
        assert _close(s, t), name


@pytest.mark.parametrize("norm", list(NORMS))
def test_critic_in_channels_last_equals_contiguous(norm):
    torch.manual_seed(0)
    arch = "separable" if norm == "dsn" else "standard"
    D = NETWORKS["dcgan"][1](width=1 / 16, image_size=16, channels=3, norm=norm, arch=arch)
    x = torch.randn(8, 3, 16, 16)
    _check(*_pair(D), x, x.contiguous(memory_format=CL))


@pytest.mark.parametrize("norm", ["bn", "sn", "ln", "wn"])
def test_generator_in_channels_last_equals_contiguous(norm):
    torch.manual_seed(0)
    G = NETWORKS["dcgan"][0](z_dim=8, width=1 / 16, image_size=16, channels=3, norm=norm)
    z = torch.randn(8, 8)
    _check(*_pair(G), z, z)


@pytest.mark.parametrize("norm", ["bn", "sn", "msn"])
def test_resnet_in_channels_last_equals_contiguous(norm):
    torch.manual_seed(0)
    G, D = NETWORKS["resnet"]
    D = D(width=1 / 16, image_size=16, channels=3, norm=norm)
    x = torch.randn(8, 3, 16, 16)
    _check(*_pair(D), x, x.contiguous(memory_format=CL))
    G = G(z_dim=8, width=1 / 16, image_size=16, channels=3)
    z = torch.randn(8, 8)
    _check(*_pair(G), z, z)
