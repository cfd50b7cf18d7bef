"""Layers and explicit operators the norm tests share."""
import torch
from torch import nn
from torch.func import jacrev


def conv(bias: bool) -> nn.Module:
    return nn.Conv2d(3, 6, 3, 1, 1, bias=bias)


def depthwise(k: int = 3, s: int = 1, **kw):
    return lambda b: nn.Conv2d(3, 3, k, s, 1, groups=3, bias=b, **kw)


def arch(norm: str) -> str:
    return "separable" if norm.startswith("dsn") else "standard"


def operator_norm(layer: nn.Module, shape: tuple[int, ...]) -> float:
    """Largest singular value of the layer's linear part (bias zeroed) as an explicit matrix."""
    with torch.no_grad():
        layer.bias.zero_()
    x = torch.randn(shape)
    jac = jacrev(layer)(x).reshape(-1, x.numel())
    return torch.linalg.svdvals(jac)[0].item()


def spectral(w: torch.Tensor) -> tuple[float, float]:
    """Largest singular values of W as (out, in*k*k) and of W as (in, out*k*k)."""
    s1 = torch.linalg.matrix_norm(w.reshape(w.shape[0], -1), ord=2).item()
    s2 = torch.linalg.matrix_norm(w.transpose(0, 1).reshape(w.shape[1], -1), ord=2).item()
    return s1, s2


def spectral_layer(module: nn.Module) -> nn.Module:
    return module[0] if isinstance(module, nn.Sequential) else module


def input_gradient(D, x):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(D(x).sum(), x)
    return g.flatten(1).norm(dim=1).mean().item()
