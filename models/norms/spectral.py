"""`sn`: spectral normalization (Miyato et al. 2018) through torch's own parametrization.

One power iteration per training forward; the `u`/`v` vectors live in the state dict, so a
checkpoint resumes the estimate exactly. Every layer, the head included, is normalized: that is
what bounds the critic's Lipschitz constant.
"""
from __future__ import annotations

from typing import Callable

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _torch_spectral_norm


def spectral(layer: nn.Module) -> nn.Module:
    return _torch_spectral_norm(layer, n_power_iterations=1)


def spectral_norm(make: Callable[[bool], nn.Module], channels: int, head: bool) -> nn.Module:
    return spectral(make(True))
