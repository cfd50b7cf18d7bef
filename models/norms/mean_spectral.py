"""`msn`: mean spectral normalization (Subramanian & Chong 2019, Eq. 6-7).

The weight is spectrally normalized, then each pre-activation channel has its batch mean (over the
batch and spatial positions) subtracted and a learned bias beta added. There is no division by the
batch variance: that division is what lets batch norm undo the spectral bound. In eval mode a
running mean (momentum 0.1, like batch norm) replaces the batch mean.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from models.norms.spectral import spectral


class MeanNorm(nn.Module):
    """Subtract the per-channel batch mean and add a learned bias beta.

    ``scale=True`` adds a learned per-channel gamma (as in the authors' seed code, not the paper).
    Off by default: a free gamma multiplies the layer's gain and so breaks the 1-Lipschitz bound
    that spectral normalization gives.
    """

    def __init__(self, channels: int, momentum: float = 0.1, scale: bool = False) -> None:
        super().__init__()
        self.momentum = momentum
        self.bias = nn.Parameter(torch.zeros(channels))
        self.weight = nn.Parameter(torch.ones(channels)) if scale else None
        self.register_buffer("running_mean", torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (1, -1) + (1,) * (x.dim() - 2)
        if self.training:
            mean = x.mean(dim=[0, *range(2, x.dim())])
            with torch.no_grad():
                self.running_mean.lerp_(mean.detach(), self.momentum)
        else:
            mean = self.running_mean
        y = x - mean.view(shape)
        if self.weight is not None:
            y = y * self.weight.view(shape)
        return y + self.bias.view(shape)

    def extra_repr(self) -> str:
        return f"{self.bias.numel()}, momentum={self.momentum}, scale={self.weight is not None}"


def mean_spectral_norm(
    make: Callable[[bool], nn.Module], channels: int, head: bool, scale: bool = False
) -> nn.Module:
    if head:  # centring the critic's output over the batch would zero the WGAN loss
        return spectral(make(True))
    return nn.Sequential(spectral(make(False)), MeanNorm(channels, scale=scale))


def mean_spectral_norm_scaled(
    make: Callable[[bool], nn.Module], channels: int, head: bool
) -> nn.Module:
    """`msn` with the seed code's gamma (see :class:`MeanNorm`)."""
    return mean_spectral_norm(make, channels, head, scale=True)
