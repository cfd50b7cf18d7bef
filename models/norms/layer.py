"""`ln`: layer norm over (C, H, W) with a per-channel scale and shift.

This is what the WGAN-GP paper recommends for a critic trained with a gradient penalty: the
penalty is defined per sample, so the critic must not mix samples of a batch. GroupNorm with one
group is exactly the official implementation's layer norm (normalize over axes 1..3, per-channel
affine).
"""
from __future__ import annotations

from torch import nn


def layer_norm(slot) -> nn.Module:
    if slot.head:
        return slot.make(True)
    return nn.Sequential(slot.make(False), nn.GroupNorm(1, slot.channels))
