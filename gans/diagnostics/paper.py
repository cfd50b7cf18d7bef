"""The MSN paper's own per-layer quantities, computed as the authors' code computes them
(AntixK/mean-spectral-norm: train.py ``log_layer_params`` and plots.py, written for classifiers).

Their ``params[i]`` is a layer's weight parameter. In their spectral-norm layers that parameter is
itself replaced by W / sigma every forward (no gradient through sigma), so its value and gradient are
those of the weight the layer convolves with; here that is the slot's bare layer's ``weight`` as the
forward uses it and the gradient with respect to that tensor. For BN layers it is the raw conv
weight: the authors did not fold BN's gains in (see :mod:`gans.diagnostics.operators` for that).
"""
from __future__ import annotations

import torch


def weight_moments(weight: torch.Tensor) -> tuple[float, float]:
    """"Drift" (their Layer_mean_drift / Layer_mean_std plots): the mean and the std of all the
    entries of the layer's weight, numpy's ``weights.mean()`` and ``weights.std()`` (ddof = 0)."""
    w = weight.detach().double()
    return float(w.mean()), float(w.std(correction=0))


def zero_share(grad: torch.Tensor) -> float:
    """"Sparsity" (their Gradient_Sparsity plot, ``1 - count_nonzero(g) / g.size``): the share of the
    layer's weight-gradient entries that are exactly zero."""
    return float((grad == 0).double().mean())


def kernel_sigma(weight: torch.Tensor) -> float | None:
    """"Singular values" (their Layer_singular plot, ``np.linalg.svd(weights)`` then
    ``S.max(axis=2).mean()``): numpy's SVD of an (out, in, k, k) array is the SVD of each (out, in)
    slice's k x k kernel, so this is the largest singular value of every W[o, i, :, :], averaged over
    the out x in pairs. None for a dense layer: they never took it there (a 2-D array has no axis 2)."""
    if weight.dim() != 4:
        return None
    return float(torch.linalg.svdvals(weight.detach().double().cpu()).amax(dim=-1).mean())


def entry_variance(grad: torch.Tensor) -> float:
    """The width of their Gradient_Histogram (Fig. 5): the variance over the entries of one layer's
    weight gradient on one batch (ddof = 0). They histogram a 5-entry moving average of the
    flattened gradient; the entries are taken here as they are."""
    g = grad.detach().double()
    return float((g - g.mean()).pow(2).mean())
