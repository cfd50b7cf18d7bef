"""`sn`: spectral normalization (Miyato et al. 2018) through torch's own parametrization.

Bounds the largest singular value of each layer's weight reshaped to (out, in*k*k) by 1, at the
cost of one power iteration (two matrix-vector products) per training forward. That bounds a
dense layer's Lipschitz constant, but not a conv's: the conv operator's norm can exceed the
reshaped matrix's by up to the kernel size (see the diagnostics). The `u`/`v` vectors live in the
state dict, so a checkpoint resumes the estimate exactly. Every layer, the head included, is
normalized: that is what bounds the critic's Lipschitz constant.

Options: ``update=projected`` replaces torch's reparametrization by the MSN authors' in-place
projection (:class:`ProjectedSpectralNorm`), ``iterations=N`` power iterations per training
forward (theirs: 100).
"""
from __future__ import annotations

import functools
from typing import Callable

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import _SpectralNorm


def full_precision(forward: Callable) -> Callable:
    """A parametrization's forward in fp32 under autocast (mixed precision): power iterations and
    norms in bf16 would bound the weight only to ~1e-2."""

    @functools.wraps(forward)
    def wrapped(self, weight: torch.Tensor) -> torch.Tensor:
        with torch.autocast(weight.device.type, enabled=False):
            return forward(self, weight.float())

    return wrapped


class SpectralNormFP32(_SpectralNorm):
    """torch's spectral norm (same state-dict keys), computed in fp32 under autocast."""

    forward = full_precision(_SpectralNorm.forward)


class ProjectedSpectralNorm(nn.Module):
    """The MSN authors' spectral norm (AntixK/mean-spectral-norm, SNlayers.py): each training forward
    runs ``iterations`` power iterations on the weight as (out, in*k*k) and *replaces* the weight by
    W / sigma, so the optimizer steps the normalized weight and no gradient flows through sigma
    (torch's parametrization differentiates through it). The weight tensor is swapped, not written
    in place, as their ``weight.data = ...`` does, so a graph that saved the previous weight (the
    real batch's forward, before the fake batch's) still backpropagates. Eval forwards divide by
    sigma at the stored vectors, which is the identity once the weight is normalized."""

    def __init__(self, layer: nn.Module, iterations: int) -> None:
        super().__init__()
        self.layer, self.iterations = layer, iterations
        out = layer.weight.shape[1 if isinstance(layer, nn.modules.conv._ConvTransposeNd) else 0]
        self.register_buffer("u", nn.functional.normalize(torch.randn(out), dim=0, eps=1e-12))
        self.register_buffer("v", torch.zeros(layer.weight.numel() // out))

    def _matrix(self) -> torch.Tensor:
        w = self.layer.weight.detach().float()
        return (w.transpose(0, 1) if isinstance(self.layer, nn.modules.conv._ConvTransposeNd) else w).reshape(self.u.numel(), -1)

    @torch.no_grad()
    def normalize(self) -> None:
        mat = self._matrix()
        if self.training or not self.v.any():
            u = self.u
            for _ in range(self.iterations):
                v = nn.functional.normalize(u @ mat, dim=0, eps=1e-12)
                u = nn.functional.normalize(mat @ v, dim=0, eps=1e-12)
            self.u.copy_(u)
            self.v.copy_(v)
        sigma = self.u @ mat @ self.v
        self.layer.weight.data = self.layer.weight.data / sigma.to(self.layer.weight.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.normalize()
        return self.layer(x)


UPDATES = ("reparam", "projected")


def spectral(layer: nn.Module, update: str = "reparam", iterations: int = 1) -> nn.Module:
    """``reparam``: torch's parametrization (gradients through sigma), ``iterations`` power
    iterations per training forward; ``projected``: the MSN authors' weight replacement."""
    if update not in UPDATES:
        raise ValueError(f"update must be one of {', '.join(UPDATES)}, got {update!r}")
    if not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"iterations must be an integer >= 1, got {iterations!r}")
    if update == "projected":
        return ProjectedSpectralNorm(layer, iterations)
    dim = 1 if isinstance(layer, nn.modules.conv._ConvTransposeNd) else 0
    parametrize.register_parametrization(layer, "weight", SpectralNormFP32(layer.weight, iterations, dim, 1e-12))
    return layer


def spectral_norm(slot, *, update: str = "reparam", iterations: int = 1) -> nn.Module:
    return spectral(slot.make(True), update, iterations)
