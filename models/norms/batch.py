"""`bn`: batch norm on pre-activations (the WGAN-GP critic of the MSN paper)."""
from __future__ import annotations

from typing import Callable

from torch import nn


def batch_norm(make: Callable[[bool], nn.Module], channels: int, head: bool) -> nn.Module:
    if head:
        return make(True)
    layer = make(False)  # BN's shift makes a conv bias redundant
    bn = nn.BatchNorm1d(channels) if isinstance(layer, nn.Linear) else nn.BatchNorm2d(channels)
    return nn.Sequential(layer, bn)
