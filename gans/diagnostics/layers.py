"""Finding what to measure inside a critic's slots (``D.slots()``: its normalized layers, head last),
by module type and torch's own attribute names only, never by the critic's attribute names."""
from __future__ import annotations

import torch
from torch import nn


def slots(D: nn.Module) -> list[nn.Module]:
    """The critic's normalized layers in order, head last (both architectures provide ``slots()``)."""
    if not hasattr(D, "slots"):
        raise TypeError(f"{type(D).__name__} has no slots(): the diagnostics need the critic's normalized layers")
    return list(D.slots())


def bare_layer(slot: nn.Module) -> nn.Conv2d | nn.Linear:
    """The conv or dense layer inside a slot; its ``weight`` is the layer's weight as the forward uses
    it (spectral norm's parametrization applied; the projected variant keeps it normalized in place)."""
    return next(m for m in slot.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))


def after_bare(slot: nn.Module) -> list[nn.Module]:
    """The modules a slot applies after its bare layer (BN, MSN's centring, a group norm), in order:
    those neither inside the bare layer nor containing it."""
    bare = bare_layer(slot)
    inside = {id(m) for m in bare.modules()}
    return [m for m in slot.modules()
            if id(m) not in inside and not any(c is bare for c in m.modules()) and not list(m.children())]


def batch_statistic(module: nn.Module) -> bool:
    """Norms that centre (or scale) by the batch in training and by running statistics in eval (BN,
    MSN): torch's convention, a ``running_mean`` buffer."""
    return isinstance(getattr(module, "running_mean", None), torch.Tensor)


def measurement_mode(D: nn.Module) -> nn.Module:
    """Batch-statistic norms in train mode (as the training forward uses them), everything else in
    eval mode, so spectral norm's power iteration (torch's and the projected one) does not move the
    weights between the passes of one measurement."""
    D.eval()
    for m in D.modules():
        if batch_statistic(m):
            m.train()
    return D


def weight_parameters(layer: nn.Module) -> list[nn.Parameter]:
    """The trained tensors behind a layer's weight, the ones the optimizer steps: the raw weight, or
    a parametrization's originals and its own parameters; never the bias."""
    parametrizations = getattr(layer, "parametrizations", None)
    if parametrizations is not None and "weight" in parametrizations:
        return list(parametrizations.weight.parameters())
    return [layer.weight]
