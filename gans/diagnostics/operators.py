"""A slot's effective linear operator and its singular values.

The effective operator is the linear part of the slot's eval-mode map x -> slot(x) (running
statistics, no batch dependence): the bare layer's weight with each output channel scaled by what
the norm after it multiplies that channel by. Batch norm multiplies by gamma / sqrt(running_var +
eps), MSN by its gamma (1 without one); spectral norm's scale is already in the weight. Without
this folding a BN critic's conv weights say nothing of its layers' gain: BN is invariant to their
scale.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from gans.diagnostics.layers import after_bare, bare_layer
from gans.models.norms import MeanNorm

POWER_ITERATIONS = 50


def channel_gains(slot: nn.Module) -> torch.Tensor | None:
    """Per-output-channel factor the slot's eval-mode norm applies after the bare layer; None when a
    module there is not a per-channel affine map in eval mode (a group or layer norm)."""
    bare = bare_layer(slot)
    gain = torch.ones(bare.weight.shape[0], dtype=torch.float64, device=bare.weight.device)
    for m in after_bare(slot):
        if isinstance(m, _BatchNorm):
            if m.running_var is None:  # no running statistics: eval mode uses the batch's, not a fixed map
                return None
            g = (m.running_var.double() + m.eps).rsqrt()
            gain = gain * (g * m.weight.double() if m.weight is not None else g)
        elif isinstance(m, MeanNorm):
            if m.weight is not None:
                gain = gain * m.weight.double()
        elif not isinstance(m, nn.Identity):
            return None
    return gain


def effective_weight(slot: nn.Module) -> torch.Tensor | None:
    """The weight of the slot's eval-mode linear map, norm gains folded per output channel (float64)."""
    gain = channel_gains(slot)
    if gain is None:
        return None
    w = bare_layer(slot).weight.detach().double()
    return w * gain.view(-1, *([1] * (w.dim() - 1)))


def reshaped_singular_values(weight: torch.Tensor) -> torch.Tensor:
    """Singular values of the weight as an (out, in*k*k) matrix: what spectral norm bounds."""
    matrix = weight.detach().reshape(weight.shape[0], -1).double().cpu()  # small: GPU solvers lose here
    return torch.linalg.svdvals(matrix)


def operator_norm(weight: torch.Tensor, layer: nn.Module, input_shape: tuple[int, ...],
                  iterations: int = POWER_ITERATIONS, generator: torch.Generator | None = None) -> float:
    """Largest singular value of x -> layer's linear map with ``weight`` (no bias) on inputs of
    ``input_shape``: exact (SVD) for a dense layer; for a conv, power iteration on A^T A with A the
    conv and A^T its transposed conv (the conv's stride, padding, dilation and groups), which
    approaches the largest singular value from below."""
    if not isinstance(layer, nn.Conv2d):
        return float(reshaped_singular_values(weight)[0])
    w = weight.detach().float()
    kwargs = dict(stride=layer.stride, padding=layer.padding, dilation=layer.dilation, groups=layer.groups)
    x = torch.randn(1, *input_shape, generator=generator).to(w)
    out_shape = F.conv2d(x, w, **kwargs).shape
    # output_padding recovers the input size the stride rounded away
    extra = [input_shape[i + 1] - ((out_shape[i + 2] - 1) * layer.stride[i] - 2 * layer.padding[i]
                                   + layer.dilation[i] * (w.shape[i + 2] - 1) + 1) for i in range(2)]
    y = x
    for _ in range(iterations):  # no host sync inside: on a GPU a float() per iteration cost more than the convs
        x = x / x.norm()
        y = F.conv2d(x, w, **kwargs)
        x = F.conv_transpose2d(y, w, output_padding=tuple(extra), **kwargs)
    return float(y.norm())
