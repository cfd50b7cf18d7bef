"""`sn`: spectral normalization (Miyato et al. 2018) through torch's own parametrization.

Bounds the largest singular value of each layer's weight reshaped to (out, in*k*k) by 1, at the
cost of one power iteration (two matrix-vector products) per training forward. That bounds a
dense layer's Lipschitz constant, but not a conv's: the conv operator's norm can exceed the
reshaped matrix's by up to the kernel size (see the diagnostics). The `u`/`v` vectors live in the
state dict, so a checkpoint resumes the estimate exactly. Every layer, the head included, is
normalized: that is what bounds the critic's Lipschitz constant.
"""
from __future__ import annotations

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _torch_spectral_norm


def spectral(layer: nn.Module) -> nn.Module:
    return _torch_spectral_norm(layer, n_power_iterations=1)


def spectral_norm(slot) -> nn.Module:
    return spectral(slot.make(True))
