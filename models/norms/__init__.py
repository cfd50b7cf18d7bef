"""The one registry every normalized layer goes through.

A norm is a function ``build(make, channels, head) -> nn.Module``:

* ``make(bias)`` constructs the bare linear map (a conv or a dense layer) with or without a bias,
  so each norm decides whether the layer keeps its own bias (BN and MSN replace it);
* ``channels`` is the layer's output width;
* ``head`` is True for a network's final layer (the critic's scalar output, the generator's RGB
  conv). Batch statistics must never touch a critic's output: centring D(x) over the batch would
  make ``D(real).mean() - D(fake).mean()`` identically zero.

Adding a normalization = one small file here + one line in ``NORMS``.
"""
from __future__ import annotations

from typing import Callable

from torch import nn

from models.norms.batch import batch_norm
from models.norms.layer import layer_norm
from models.norms.mean_spectral import MeanNorm, mean_spectral_norm, mean_spectral_norm_scaled
from models.norms.plain import plain
from models.norms.spectral import spectral_norm

MakeLayer = Callable[[bool], nn.Module]
Norm = Callable[[MakeLayer, int, bool], nn.Module]

NORMS: dict[str, Norm] = {
    "bn": batch_norm,
    "sn": spectral_norm,
    "msn": mean_spectral_norm,
    "msn-gamma": mean_spectral_norm_scaled,
    "ln": layer_norm,
    "none": plain,
}


def get_norm(name: str) -> Norm:
    try:
        return NORMS[name]
    except KeyError:
        raise ValueError(f"unknown norm {name!r}; choose one of {', '.join(NORMS)}") from None


__all__ = ["NORMS", "Norm", "MakeLayer", "MeanNorm", "get_norm"]
