"""`wn`: weight normalization (Salimans & Kingma 2016), ``w = g * v / ||v||`` per output unit,
through torch's ``parametrizations.weight_norm``.

What it bounds: each output unit's weight vector has norm exactly |g|, so the layer's norm is at
most ``||g||_2`` (its Frobenius norm) - but g is a free parameter, so nothing bounds the critic
during training; WN reparametrizes for better-conditioned steps, it is not a Lipschitz constraint.
Cost: one norm per output unit per forward, no batch statistics, one extra parameter per output
unit (g) and no buffers (``data`` adds one flag).

Option ``init`` (how g, v and the bias start):

* ``robust`` (default): Arpit, Campos & Bengio 2019, "How to Initialize your Network? Robust
  Initialization for WeightNorm & ResNets" (arXiv 1906.02341), the rule for plain (non-residual)
  WN ReLU networks that keeps the forward signal norm: the directions v are orthogonal
  (``nn.init.orthogonal_`` on v reshaped to (out, fan_in)), the bias is 0, and

      g = sqrt(gain * fan_in / fan_out),   gain = 2 / (1 + slope**2)

  where fan_in is the number of inputs of one output unit (in * k * k) and fan_out the number of
  outputs one input reaches (out / groups * k * k), so g = sqrt(2 * in / out) for a conv and
  sqrt(2) for a depthwise one. gain = 2 is the paper's ReLU value (its code:
  victorcampos7/weightnorm-init, ``--init orthogonal_proposed``: g = sqrt(2 * fan_in / fan_out));
  for a leaky ReLU of negative slope a the same derivation (E[act(y)^2] = (1 + a^2)/2 * E[y^2])
  gives 2 / (1 + a^2). ``slope`` is the activation after the layer: 0.1 for the critic.
  Then ``E||act(W x)||^2 = ||x||^2`` for isotropic x: the signal neither explodes nor vanishes
  with depth.
* ``data``: Salimans & Kingma's data-dependent init. On the first training forward, with g = 1 and
  bias 0, the pre-activation t of each output unit over the batch (and positions) gives
  ``g = 1 / std(t)`` and ``bias = -mean(t) / std(t)``, so that batch's pre-activations have zero
  mean and unit variance. A buffer ``initialized`` in the state dict stops a resumed run (or a
  later forward) from initializing again.
* ``none``: torch's default layer init, g = ||v||.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm as _torch_weight_norm

from gans.models.norms.bidirectional import output_dim

INITS = ("robust", "data", "none")


def fans(layer: nn.Module) -> tuple[int, int]:
    """(inputs of one output unit, outputs one input reaches), counting kernel positions."""
    w, out = layer.weight, layer.weight.shape[output_dim(layer)]
    fan_in = w.numel() // out
    receptive = w[0, 0].numel() if w.dim() > 2 else 1
    return fan_in, out // getattr(layer, "groups", 1) * receptive


@torch.no_grad()
def orthogonal_directions_(layer: nn.Module) -> None:
    dim = output_dim(layer)
    rows = layer.weight.movedim(dim, 0)
    mat = torch.empty(rows.shape[0], rows[0].numel(), dtype=rows.dtype, device=rows.device)
    nn.init.orthogonal_(mat)
    layer.weight.copy_(mat.reshape(rows.shape).movedim(0, dim))
    if layer.bias is not None:
        layer.bias.zero_()


def robust_scale(layer: nn.Module, slope: float) -> float:
    fan_in, fan_out = fans(layer)
    return math.sqrt(2.0 / (1.0 + slope**2) * fan_in / fan_out)


def _data_init_hook(module: nn.Module, args: tuple) -> None:
    """Forward pre-hook: the first training forward sets g and the bias from the batch."""
    if not module.training or bool(module.initialized):
        return
    g = module.parametrizations.weight.original0
    with torch.no_grad():
        g.fill_(1.0)
        module.bias.zero_()
        module.initialized.fill_(True)  # before the call below, so this hook returns at once
        t = module(*args)
        dims = [d for d in range(t.dim()) if d != 1]  # channels are dim 1 for dense and conv outputs
        mean, std = t.mean(dims), t.std(dims, unbiased=False).clamp_min(1e-8)
        g.copy_((1.0 / std).reshape(g.shape))
        module.bias.copy_(-mean / std)


def weight_norm(slot, *, init: str = "robust", slope: float = 0.1) -> nn.Module:
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    if isinstance(slope, bool) or not isinstance(slope, (int, float)) or slope < 0:
        raise ValueError(f"slope must be a number >= 0 (the leaky ReLU's negative slope), got {slope!r}")
    layer = slot.make(True)
    if init == "robust":
        orthogonal_directions_(layer)
    layer = _torch_weight_norm(layer, dim=output_dim(layer))
    if init == "robust":
        with torch.no_grad():
            layer.parametrizations.weight.original0.fill_(robust_scale(layer, float(slope)))
    elif init == "data":
        layer.register_buffer("initialized", torch.tensor(False))
        layer.register_forward_pre_hook(_data_init_hook)
    return layer
