"""The Fréchet distance between two Gaussians, exact and fast, in float64.

tr sqrt(S1 S2) equals the sum of square roots of the eigenvalues of sqrt(S1) S2 sqrt(S1), a
symmetric PSD matrix, so two symmetric eigendecompositions replace scipy's general `sqrtm`
(faster: bench/eval.py, docs/performance.md) and stay exact on rank-deficient covariances
(N < 2048 samples), where float32 or a general eigensolver drifts (tests/eval/test_frechet.py).
"""
from __future__ import annotations

import numpy as np


def _sym(a: np.ndarray) -> np.ndarray:
    return (a + a.T) / 2


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr sqrt(S1 S2)."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = _sym(np.asarray(sigma1, np.float64)), _sym(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise ValueError(f"mismatched statistics: mu {mu1.shape} vs {mu2.shape}, sigma {s1.shape} vs {s2.shape}")
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    eig = np.linalg.eigvalsh(_sym(root1 @ s2 @ root1))
    tr_covmean = np.sqrt(np.clip(eig, 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)


def frechet_distance_to_samples(x: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """The same distance when one side is n <= d samples ``x`` (its covariance has rank < d).

    tr sqrt(S1 S2) = ||Xc sqrt(S2)||_* / sqrt(n - 1), the nuclear norm of an n x d matrix. Its
    singular values carry round-off of eps * sigma_max, where the symmetric form adds
    sqrt(eps) * lambda_max for each of the d - n null eigenvalues of S1.
    """
    x = np.asarray(x, np.float64)
    mu2, s2 = np.asarray(mu2, np.float64), _sym(np.asarray(sigma2, np.float64))
    n, d = x.shape
    if mu2.shape != (d,) or s2.shape != (d, d) or n < 2:
        raise ValueError(f"mismatched statistics: {n} samples of dim {d} vs mu {mu2.shape}, sigma {s2.shape}")
    mu1 = x.mean(axis=0)
    xc = x - mu1
    w, v = np.linalg.eigh(s2)
    root2 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    tr_covmean = np.linalg.svd(xc @ root2, compute_uv=False).sum() / np.sqrt(n - 1)
    tr1 = np.einsum("ij,ij->", xc, xc) / (n - 1)
    diff = mu1 - mu2
    return float(diff @ diff + tr1 + np.trace(s2) - 2 * tr_covmean)


def statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased covariance (as pytorch-fid and torch-fidelity compute them), in float64."""
    f = np.asarray(features, np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)
