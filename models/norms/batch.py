"""`bn`: batch norm on pre-activations (the WGAN-GP critic of the MSN paper)."""
from __future__ import annotations

from torch import nn


def batch_norm(slot) -> nn.Module:
    if slot.head:
        return slot.make(True)
    layer = slot.make(False)  # BN's shift makes a conv bias redundant
    bn = nn.BatchNorm1d(slot.channels) if isinstance(layer, nn.Linear) else nn.BatchNorm2d(slot.channels)
    return nn.Sequential(layer, bn)
