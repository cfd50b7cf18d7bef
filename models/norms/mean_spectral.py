"""`msn`: mean spectral normalization (Subramanian & Chong 2019, Eq. 6-7).

The weight is spectrally normalized, then each pre-activation channel has its batch mean (over the
batch and spatial positions) subtracted and a learned bias beta added. There is no division by the
batch variance: that division is what lets batch norm undo the spectral bound. In eval mode a
running mean (momentum 0.1, like batch norm) replaces the batch mean. Costs one power iteration
plus a per-channel mean per layer; bounds what `sn` bounds (centring is a translation).

Options:

* ``layers``: where the centring sits. ``all`` (default: every layer but the head) or a ``+``-list
  of 1-based layer indices; ``seed`` is the authors' code (AntixK/mean-spectral-norm), which centres
  only after the critic's 4th, 6th and 7th convs. The other layers are plain `sn`. Centring the
  first layer removes each batch's mean colour before the critic can see it, and a critic shown
  real and fake images as separate batches then cannot tell them apart by colour.
* ``gamma``: a learned per-channel scale, as in the authors' code but not the paper. A free gamma
  multiplies the layer's gain and so breaks the 1-Lipschitz bound that spectral normalization gives.
* ``update`` and ``iterations``: the spectral norm's, as for `sn` (``update=projected,iterations=100``
  is the authors' code).
"""
from __future__ import annotations

import torch
from torch import nn

from gans.core.collectives import all_reduce_sum, world_size
from gans.models.norms.spectral import spectral

SEED_LAYERS = (4, 6, 7)


class MeanNorm(nn.Module):
    """Subtract the per-channel batch mean and add a learned bias beta (``scale``: also a gamma)."""

    def __init__(self, channels: int, momentum: float = 0.1, scale: bool = False) -> None:
        super().__init__()
        self.momentum = momentum
        self.bias = nn.Parameter(torch.zeros(channels))
        self.weight = nn.Parameter(torch.ones(channels)) if scale else None
        self.register_buffer("running_mean", torch.zeros(channels))
        self.sync = False  # --sync-norm: the mean over every rank's shard of the batch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (1, -1) + (1,) * (x.dim() - 2)
        x = x.float()  # the batch mean in fp32 under autocast (a no-op in fp32 training)
        if self.training:
            mean = x.mean(dim=[0, *range(2, x.dim())])
            if self.sync:
                mean = all_reduce_sum(mean) / world_size()
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


def centred_layers(layers: str | int | tuple[int, ...]) -> tuple[int, ...] | None:
    """None for every layer; else the 1-based indices."""
    if layers == "all":
        return None
    if layers == "seed":
        return SEED_LAYERS
    picked = (layers,) if isinstance(layers, int) else layers
    if not isinstance(picked, tuple) or not picked or not all(isinstance(i, int) and i >= 1 for i in picked):
        raise ValueError(f"layers must be all, seed or 1-based indices joined by + (e.g. 4+6+7), got {layers!r}")
    return picked


def mean_spectral_norm(slot, *, layers: str | tuple[int, ...] = "all", gamma: bool = False, update: str = "reparam",
                       iterations: int = 1) -> nn.Module:
    picked = centred_layers(layers)
    if slot.head or (picked is not None and slot.index not in picked):
        # the head: centring the critic's output over the batch would zero the WGAN loss
        return spectral(slot.make(True), update, iterations)
    return nn.Sequential(spectral(slot.make(False), update, iterations), MeanNorm(slot.channels, scale=bool(gamma)))
