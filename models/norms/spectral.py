"""`sn`: spectral normalization (Miyato et al. 2018) through torch's own parametrization.

Bounds the largest singular value of each layer's weight reshaped to (out, in*k*k) by 1, at the
cost of one power iteration (two matrix-vector products) per training forward. That bounds a
dense layer's Lipschitz constant, but not a conv's: the conv operator's norm can exceed the
reshaped matrix's by up to the kernel size (see the diagnostics). The `u`/`v` vectors live in the
state dict, so a checkpoint resumes the estimate exactly. Every layer, the head included, is
normalized: that is what bounds the critic's Lipschitz constant.
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


def spectral(layer: nn.Module) -> nn.Module:
    dim = 1 if isinstance(layer, nn.modules.conv._ConvTransposeNd) else 0
    parametrize.register_parametrization(layer, "weight", SpectralNormFP32(layer.weight, 1, dim, 1e-12))
    return layer


def spectral_norm(slot) -> nn.Module:
    return spectral(slot.make(True))
