"""`dsn`: spectral normalization of depthwise-separable convolutions (Runkel, Etmann, Moeller &
Schoenlieb 2021, "Depthwise Separable Convolutions Allow for Fast and Memory-Efficient Spectral
Normalization", arXiv 2102.06496). Needs the separable critic (``--d-arch separable``).

A depthwise-separable conv is a pointwise 1x1 conv after a depthwise k x k conv, and each factor's
operator norm is cheap to get exactly:

* depthwise (groups == in == out channels): channel c is a single-channel 2-D convolution with the
  k x k kernel K_c, so the operator is block diagonal over channels. Under circular padding on an
  N x N grid each block is doubly block circulant, diagonalized by the 2-D DFT, with singular values
  ``|DFT_N(K_c zero-padded to N x N)|``; the layer's norm is
  ``sigma = max_c max_(f1, f2) |DFT_N(K_c)[f1, f2]|``. The weight is divided by sigma, computed
  with one small FFT per channel (``rfft2`` of the kernel on the grid): no power iteration, no
  buffers, exact every step (the gradient flows through the max).
* pointwise (1x1) convs and dense layers: ordinary spectral normalization (``sn``, one power
  iteration per training forward). A 1x1 conv acts as the same channel-mixing matrix at every
  position, so the reshaped matrix's norm is its operator norm here: exact, unlike for k x k convs.

The paper computes the depthwise norm this way, on the grid of the feature map (the kernel padded
to the input size), i.e. for circular padding, and normalizes the pointwise factor with power
iteration; ||pointwise o depthwise|| <= ||pointwise|| * ||depthwise|| = 1.

Zero padding (what the critic uses): a zero-padded conv on an n x n input embeds the input in a
larger zero-filled grid, applies the circular conv there and crops the output. With a grid of side
N >= n + k - 1 nothing wraps around into the kept outputs, and embedding and cropping have norm 1,
so the zero-padded norm is <= the circular one on N x N: the max over an N-point grid is a
certified upper bound for every input side n <= N - k + 1 (default ``grid=64``: up to 61 px for
k = 4, so every layer of a 32 x 32 critic). It is an upper bound, not the exact zero-padded norm;
on small inputs the zero-padded norm is somewhat lower (the tests measure it). Stride only
subsamples the output, which cannot increase the norm. Bigger images need a bigger ``grid``
(cost: C * grid^2 / 2 complex numbers per depthwise layer per forward, tiny next to the conv).

A dense k x k conv is neither: ValueError (`sn`, `bssn`, ... handle those).

``scale`` (default 2): every bounded factor is multiplied by c, as BSSN's c (Lin et al. 2021). With
c = 1 the separable critic does not train: at init each of its 14 bounded convs shrinks the
difference between two inputs, so its input gradient vanishes next to the standard SN critic's and
its output is the biases' constant (tests/models/norms/test_separable.py; docs/results.md, "The
depthwise-separable critic trains once scaled"). c = 2 brings the input gradient to the standard
critic's order; the bound loosens to c per factor (c^14 overall).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrize import register_parametrization

from gans.models.norms.spectral import spectral


class DepthwiseSpectral(nn.Module):
    """Parametrization ``K -> K / max_c max_f |DFT_grid(K_c)|`` for a depthwise kernel (C, 1, k, k)."""

    def __init__(self, grid: int, eps: float = 1e-12) -> None:
        super().__init__()
        self.grid, self.eps = grid, eps

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight / depthwise_norm(weight, self.grid).clamp_min(self.eps)

    def extra_repr(self) -> str:
        return f"grid={self.grid}"


def depthwise_norm(weight: torch.Tensor, grid: int) -> torch.Tensor:
    """The norm of the depthwise conv with this kernel under circular padding on a grid x grid image."""
    # a real kernel's spectrum is conjugate-symmetric, so the half spectrum holds the max
    return torch.fft.rfft2(weight.flatten(0, 1), s=(grid, grid)).abs().amax()


def is_depthwise(layer: nn.Module) -> bool:
    return isinstance(layer, nn.Conv2d) and layer.groups == layer.in_channels == layer.out_channels


def is_pointwise(layer: nn.Module) -> bool:
    return isinstance(layer, nn.Conv2d) and layer.groups == 1 and all(k == 1 for k in layer.kernel_size)


class Scale(nn.Module):
    """Parametrization ``W -> c * W``, stacked on a normalization (BSSN's c, Lin et al. 2021)."""

    def __init__(self, c: float) -> None:
        super().__init__()
        self.c = c

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight * self.c

    def extra_repr(self) -> str:
        return f"c={self.c}"


def depthwise_spectral_norm(slot, *, grid: int = 64, scale: float = 2.0) -> nn.Module:
    if isinstance(grid, bool) or not isinstance(grid, int):
        raise ValueError(f"grid must be an integer (the DFT grid side), got {grid!r}")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise ValueError(f"scale must be a number > 0, got {scale!r}")
    layer = slot.make(True)
    if is_depthwise(layer):
        if grid < max(layer.kernel_size):
            raise ValueError(f"grid must be >= the kernel size {max(layer.kernel_size)}, got {grid}")
        register_parametrization(layer, "weight", DepthwiseSpectral(grid))
    elif isinstance(layer, nn.Linear) or is_pointwise(layer):
        layer = spectral(layer)
    else:
        raise ValueError("dsn bounds depthwise and 1x1 convs; use --d-arch separable")
    if scale != 1:
        register_parametrization(layer, "weight", Scale(float(scale)))
    return layer
