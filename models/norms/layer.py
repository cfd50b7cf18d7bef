"""`ln`: layer norm over (C, H, W) with a per-channel scale and shift.

This is what the WGAN-GP paper recommends for a critic trained with a gradient penalty: the
penalty is defined per sample, so the critic must not mix samples of a batch. GroupNorm with one
group is exactly the official implementation's layer norm (normalize over axes 1..3, per-channel
affine).
"""
from __future__ import annotations

from typing import Callable

from torch import nn


def layer_norm(make: Callable[[bool], nn.Module], channels: int, head: bool) -> nn.Module:
    if head:
        return make(True)
    return nn.Sequential(make(False), nn.GroupNorm(1, channels))
