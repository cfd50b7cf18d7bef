"""The Fréchet distance between two Gaussians, exact and fast, in float64.

tr sqrt(S1 S2) equals the sum of square roots of the eigenvalues of sqrt(S1) S2 sqrt(S1), a
symmetric PSD matrix, so two symmetric eigendecompositions replace scipy's general `sqrtm`
(faster: bench/eval.py, docs/performance.md) and stay exact on rank-deficient covariances
(N < 2048 samples), where float32 or a general eigensolver drifts (tests/eval/test_frechet.py).
Written in torch so the same code runs where the features are (``device``): on a GPU the
covariance of 10,000 x 2048 features and the two 2048 x 2048 eigendecompositions run there, not
on the host's cores (docs/performance.md has the GPU evaluation's rate).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch


def _f64(x: Any, device: torch.device | str | None) -> torch.Tensor:
    return torch.as_tensor(x).to(device=device or "cpu", dtype=torch.float64)


def _sym(a: torch.Tensor) -> torch.Tensor:
    return (a + a.T) / 2


def _root(s: torch.Tensor) -> torch.Tensor:
    w, v = torch.linalg.eigh(s)
    return (v * w.clamp(min=0).sqrt()) @ v.T


def frechet_distance(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any, device: torch.device | str | None = None) -> float:
    """||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr sqrt(S1 S2), computed on ``device`` (default: the CPU)."""
    mu1, mu2 = _f64(mu1, device), _f64(mu2, device)
    s1, s2 = _sym(_f64(sigma1, device)), _sym(_f64(sigma2, device))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.numel(), mu1.numel()):
        raise ValueError(f"mismatched statistics: mu {tuple(mu1.shape)} vs {tuple(mu2.shape)}, "
                         f"sigma {tuple(s1.shape)} vs {tuple(s2.shape)}")
    root1 = _root(s1)
    tr_covmean = torch.linalg.eigvalsh(_sym(root1 @ s2 @ root1)).clamp(min=0).sqrt().sum()
    diff = mu1 - mu2
    return float(diff @ diff + s1.trace() + s2.trace() - 2 * tr_covmean)


def frechet_distance_to_samples(x: Any, mu2: Any, sigma2: Any, device: torch.device | str | None = None) -> float:
    """The same distance when one side is n <= d samples ``x`` (its covariance has rank < d).

    tr sqrt(S1 S2) = ||Xc sqrt(S2)||_* / sqrt(n - 1), the nuclear norm of an n x d matrix. Its
    singular values carry round-off of eps * sigma_max, where the symmetric form adds
    sqrt(eps) * lambda_max for each of the d - n null eigenvalues of S1.
    """
    x = _f64(x, device)
    mu2, s2 = _f64(mu2, device), _sym(_f64(sigma2, device))
    n, d = x.shape
    if mu2.shape != (d,) or s2.shape != (d, d) or n < 2:
        raise ValueError(f"mismatched statistics: {n} samples of dim {d} vs mu {tuple(mu2.shape)}, "
                         f"sigma {tuple(s2.shape)}")
    mu1 = x.mean(dim=0)
    xc = x - mu1
    tr_covmean = torch.linalg.svdvals(xc @ _root(s2)).sum() / math.sqrt(n - 1)
    tr1 = (xc * xc).sum() / (n - 1)
    diff = mu1 - mu2
    return float(diff @ diff + tr1 + s2.trace() - 2 * tr_covmean)


def moments(features: Any, device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and unbiased covariance (as pytorch-fid and torch-fidelity compute them), float64 tensors
    on ``device``, where :func:`frechet_distance` takes them without a copy."""
    f = _f64(features, device)
    mu = f.mean(dim=0)
    xc = f - mu
    return mu, xc.T @ xc / (len(f) - 1)


def statistics(features: Any, device: torch.device | str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`moments` as numpy arrays (pytorch-fid's stats-file layout)."""
    mu, sigma = moments(features, device)
    return mu.cpu().numpy(), sigma.cpu().numpy()
