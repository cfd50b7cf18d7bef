"""Precision, recall, density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity
Metrics for Generative Models"), exact, in float64, from the same features as FID and KID.

Definitions are those of the authors' ``prdc`` package (``compute_prdc``), which the tests check
to 1e-6. Its N x M distance matrices do not fit at 50,000 samples (20 GB each in float64), so
distances here come in square tiles and each point keeps only its k+1 smallest distances.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

DEFAULT_K = 5
# 2048 x 2048 float64 tiles: 32 MB each, a few of them alive at once, and large enough that the
# matmul dominates the per-tile overhead on a GPU
DEFAULT_CHUNK = 2048


@dataclass(frozen=True)
class PRDC:
    precision: float
    recall: float
    density: float  # an expected count / k: not bounded by 1
    coverage: float


def _as_float64(x: torch.Tensor | np.ndarray, device: torch.device | str | None) -> torch.Tensor:
    x = torch.as_tensor(x)
    if x.ndim != 2:
        raise ValueError(f"features must be (N, dim), got shape {tuple(x.shape)}")
    return x.to(device or x.device, torch.float64)


def _tiles(a: torch.Tensor, b: torch.Tensor, chunk: int) -> Iterator[tuple[slice, slice, torch.Tensor]]:
    """(rows, cols, Euclidean distances a[rows] to b[cols]) for every chunk x chunk tile."""
    a_sq, b_sq = (a * a).sum(1), (b * b).sum(1)
    for i in range(0, len(a), chunk):
        rows = slice(i, i + chunk)
        for j in range(0, len(b), chunk):
            cols = slice(j, j + chunk)
            d2 = torch.addmm(a_sq[rows, None] + b_sq[None, cols], a[rows], b[cols].T, alpha=-2)
            yield rows, cols, d2.clamp_(min=0).sqrt_()


def _radii(x: torch.Tensor, k: int, chunk: int) -> torch.Tensor:
    if k < 1 or chunk < 1:
        raise ValueError(f"k and chunk must be positive, got k={k}, chunk={chunk}")
    if len(x) <= k:
        raise ValueError(f"k-NN radii with k={k} need more than {k} points, got {len(x)}")
    radii, best = x.new_empty(len(x)), x.new_empty(0)
    for rows, cols, d in _tiles(x, x, chunk):  # row by row of tiles: one row's running k+1 smallest
        if rows == cols:
            # the point itself, at distance exactly 0 (the matmul form leaves round-off there); it
            # is one of the k+1 smallest, as in prdc, so the radius is the k-th *other* point's
            d.fill_diagonal_(0)
        if cols.start:
            d = torch.cat([best, d], 1)
        best = d.topk(min(k + 1, d.shape[1]), dim=1, largest=False, sorted=False).values
        if cols.stop >= len(x):
            radii[rows] = best.amax(1)
    return radii


def knn_radii(features: torch.Tensor | np.ndarray, k: int = DEFAULT_K, chunk: int = DEFAULT_CHUNK,
              device: torch.device | str | None = None) -> torch.Tensor:
    """Each point's distance to its k-th nearest neighbour in its own set, itself excluded
    (duplicates count as neighbours at distance 0); float64, on ``device``.

    A reference's radii depend on nothing else, so a caller scoring many draws computes them once
    (see :meth:`gans.eval.reference.Reference.knn_radii`) and passes them to :func:`prdc`.
    """
    x = _as_float64(features, device)
    return _radii(x - x.mean(0), k, chunk)


def prdc(real: torch.Tensor | np.ndarray, fake: torch.Tensor | np.ndarray, k: int = DEFAULT_K,
         chunk: int = DEFAULT_CHUNK, device: torch.device | str | None = None,
         real_radii: torch.Tensor | None = None) -> PRDC:
    """Precision, recall, density and coverage of ``fake`` (M, dim) against ``real`` (N, dim).

    With B(x, r) the open ball of radius r around x, r_i the distance from real point i to its
    k-th nearest other real point and s_j the same among the fake points (:func:`knn_radii`):

        precision = 1/M sum_j  1[ exists i: fake_j in B(real_i, r_i) ]
        recall    = 1/N sum_i  1[ exists j: real_i in B(fake_j, s_j) ]
        density   = 1/(kM) sum_j sum_i 1[ fake_j in B(real_i, r_i) ]
        coverage  = 1/N sum_i  1[ min_j ||real_i - fake_j|| < r_i ]

    All inequalities are strict (a point exactly on a ball's boundary is outside), as in prdc.
    Computed in float64 on ``device`` (default: ``real``'s), in ``chunk`` x ``chunk`` tiles of
    the distance matrices. ``real_radii``, if given, are ``knn_radii(real, k)``.
    """
    real = _as_float64(real, device)
    fake = _as_float64(fake, real.device)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake features differ in dimension: {real.shape[1]} vs {fake.shape[1]}")
    # distances do not move with a common shift, and centred features lose fewer digits to the
    # cancellation in ||a||^2 + ||b||^2 - 2 a.b
    centre = real.mean(0)
    real, fake = real - centre, fake - centre
    if real_radii is None:
        real_radii = _radii(real, k, chunk)
    else:
        real_radii = torch.as_tensor(real_radii).to(real.device, torch.float64)
        if real_radii.shape != (len(real),):
            raise ValueError(f"real_radii has shape {tuple(real_radii.shape)}, not ({len(real)},)")
    fake_radii = _radii(fake, k, chunk)

    inside_count = torch.zeros(len(fake), dtype=torch.int64, device=real.device)  # real balls holding fake j
    covered = torch.zeros(len(real), dtype=torch.bool, device=real.device)  # a fake point in real ball i
    recalled = torch.zeros(len(real), dtype=torch.bool, device=real.device)  # real i in a fake ball
    for rows, cols, d in _tiles(real, fake, chunk):
        in_real_ball = d < real_radii[rows, None]
        inside_count[cols] += in_real_ball.sum(0)
        covered[rows] |= in_real_ball.any(1)
        recalled[rows] |= (d < fake_radii[None, cols]).any(1)
    return PRDC(precision=(inside_count > 0).double().mean().item(),
                recall=recalled.double().mean().item(),
                density=inside_count.double().mean().item() / k,
                coverage=covered.double().mean().item())
