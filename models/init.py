"""Weight initialization schemes, applied to each bare layer before its norm wraps it (so a
spectral norm's power-iteration vectors start from the initialized weight).

* ``torch``: PyTorch's defaults (Kaiming-uniform with a=sqrt(5), bias uniform in +-1/sqrt(fan_in)).
* ``normal02``: conv, transposed-conv and dense weights N(0, 0.02), biases 0, as chainer-gan-lib,
  pytorch-gan-collections and BSN initialize their DCGAN-style networks.
* ``msn-code``: exactly the MSN authors' ``weight_filler`` (AntixK/mean-spectral-norm, MSNGAN/train.py):
  conv and transposed-conv weights N(0, 0.02) with their biases left at PyTorch's default, dense
  layers left at PyTorch's default (its class-name test misses ``SNLinear``), batch-norm gamma
  N(1, 0.02) and beta 0; their mean-spectral-norm layer keeps gamma 1, beta 0.

Under Adam the scale of a weight sets each SN layer's effective step: after the normalization,
an update of size lr moves W / sigma(W) by about lr / ||W||, so the init is part of the recipe.
"""
from __future__ import annotations

import torch
from torch import nn

INITS = ("torch", "normal02", "msn-code")
_CONVS = (nn.Conv2d, nn.ConvTranspose2d)


@torch.no_grad()
def init_layer(layer: nn.Module, scheme: str) -> nn.Module:
    """Initialize a bare conv or dense layer in place (before any parametrization is registered)."""
    if scheme not in INITS:
        raise ValueError(f"unknown init {scheme!r}; choose one of {', '.join(INITS)}")
    if scheme == "torch":
        return layer
    dense = isinstance(layer, nn.Linear)
    if isinstance(layer, _CONVS) or (dense and scheme == "normal02"):
        layer.weight.normal_(0.0, 0.02)
        if layer.bias is not None and scheme == "normal02":
            layer.bias.zero_()
    return layer


@torch.no_grad()
def init_norms(module: nn.Module, scheme: str) -> nn.Module:
    """The scheme's batch-norm affine parameters (only ``msn-code`` changes them)."""
    if scheme == "msn-code":
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.affine:
                m.weight.normal_(1.0, 0.02)
                m.bias.zero_()
    return module
