"""FID-infinity (Chong & Forsyth 2020, "Effectively Unbiased FID and Inception Score and where to find them").

FID's bias falls as 1/N in the generated sample count N, and its size depends on the generator's
own feature covariance, so two systems scored at one N can swap places at another. FID-infinity
scores one set of generated features at several N (a fresh random subset each, as the authors'
``calculate_FID_infinity`` does), fits FID = a + b / N by least squares and reports a, the FID of
infinitely many samples. The reference statistics stay fixed at every N.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from gans.eval.metrics import fid


@dataclass(frozen=True)
class FidCurve:
    """FID at each sample count and the line through them in 1/N."""

    sizes: tuple[int, ...]
    fids: tuple[float, ...]
    infinity: float  # the intercept at 1/N = 0
    slope: float  # FID per unit of 1/N: the bias a sample count of N adds is slope / N


def default_sizes(n: int, points: int = 4) -> tuple[int, ...]:
    """``points`` counts evenly spaced from n / points to n (the authors space 15 from 5,000 to 50,000)."""
    return tuple(int(round(n * (i + 1) / points)) for i in range(points))


def fid_infinity(features: torch.Tensor, reference: tuple[np.ndarray | torch.Tensor, np.ndarray | torch.Tensor],
                 sizes: Sequence[int], seed: int = 2020, device: torch.device | str | None = None) -> FidCurve:
    """FID of ``features`` against ``reference`` (mu, sigma) at each of ``sizes`` (each at most the
    feature count, at least two distinct), extrapolated to 1/N = 0."""
    sizes = tuple(int(n) for n in sizes)
    if len(set(sizes)) < 2 or max(sizes) > len(features) or min(sizes) < 2:
        raise ValueError(f"FID-infinity needs at least two distinct sample counts in [2, {len(features)}], got {sizes}")
    rng = np.random.default_rng(seed)
    fids = tuple(float(fid(features[torch.from_numpy(rng.permutation(len(features))[:n])], reference, device))
                 for n in sizes)
    slope, intercept = np.polyfit(1.0 / np.array(sizes, dtype=float), np.array(fids), 1)
    return FidCurve(sizes, fids, float(intercept), float(slope))
