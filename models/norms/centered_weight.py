"""`cwn`: centered weight normalization (Huang et al., ICCV 2017, "Centered Weight Normalization in
Accelerating Training of Deep Neural Networks").

Each output unit's weight vector v (a row of W reshaped to (out, fan_in)) is centred and scaled to
unit norm, then multiplied by a learned per-unit scale g (initialized to 1):

    w = g * (v - mean(v)) / ||v - mean(v)||

What it bounds: every row has norm |g| and zero sum, so a unit ignores the mean of its inputs (a
constant shift of a patch) and its gain is set by g alone; with g free, nothing bounds the critic's
Lipschitz constant (the layer's norm is at most ||g||_2). Cost: a mean and a norm per output unit
per forward, no batch statistics, one extra parameter per output unit (g), no buffers.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrize import register_parametrization

from gans.models.norms.bidirectional import output_dim


class Centered(nn.Module):
    """Parametrization ``V -> g * centred(V) / ||centred(V)||`` row by row."""

    def __init__(self, units: int, out_dim: int = 0, eps: float = 1e-8) -> None:
        super().__init__()
        self.out_dim, self.eps = out_dim, eps
        self.g = nn.Parameter(torch.ones(units))

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        rows = weight.movedim(self.out_dim, 0)
        flat = rows.reshape(rows.shape[0], -1)
        centred = flat - flat.mean(dim=1, keepdim=True)
        w = centred / centred.norm(dim=1, keepdim=True).clamp_min(self.eps) * self.g[:, None]
        return w.reshape(rows.shape).movedim(0, self.out_dim)


def centered_weight_norm(slot) -> nn.Module:
    layer = slot.make(True)
    dim = output_dim(layer)
    units = layer.weight.shape[dim]
    if layer.weight.numel() // units < 2:
        raise ValueError("cwn needs at least 2 inputs per unit (a centred single weight is 0)")
    register_parametrization(layer, "weight", Centered(units, dim))
    return layer
