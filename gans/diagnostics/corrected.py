"""Our estimators for the paper's claims, each chosen so it can come out either way for every norm.

* drift: each channel's mean over samples in units of its spread over samples, RMS over channels
  (``standardized_rms``), so a layer whose output is scaled by any c > 0 reads the same and norms of
  different scales compare; taken before the norm's centring and at the layer's output on the
  real and fake rows of the batch the statistics were computed on, and in eval mode (running
  statistics) on held-out real and fake batches of equal size, the mixture the running means average
  over, so a running mean sitting between real and fake does not read as drift (on real images
  alone a centred norm reads about half the real-fake gap). ``channel_rms``, the unscaled RMS of
  the channel means, still fills the earlier fields;
* sparsity: the share of gradient entries below 1% of their layer's mean |g| (exact zeros counted,
  and also counted apart);
* variance over mini-batches, relative to the gradient's mean square, so a layer whose gradient is
  scaled (spectral norm's raw-weight gradients scale as 1/||V||) reads the same;
* a log10 |g| histogram with the exact zeros in their own count.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

NEAR_ZERO = 0.01  # an entry is "near zero" when |g| < NEAR_ZERO * mean |g| of its layer


def channel_rms(means: torch.Tensor) -> float:
    """sqrt(mean_c m_c^2) of per-channel means: how far they sit from zero, sign and spread together."""
    return float(means.double().pow(2).mean().sqrt())


@dataclass(frozen=True)
class Standardized:
    """``standardized_rms`` of a stack, and the channels it left out."""

    rms: float | None  # None when every channel was left out
    constant: int  # channels with no spread over the samples (a dead or constant channel): left out


# a spread this small beside the mean is rounding of a constant channel (float32 data resolve ~1e-7)
CONSTANT = 1e-9


def standardized_rms(means: torch.Tensor) -> Standardized:
    """sqrt(mean_c (m_c / s_c)^2) of a (samples, channels) stack of per-sample channel means, m_c and
    s_c the mean and the sample std (ddof = 1) over the samples: how far each channel's mean sits
    from zero in units of its spread across samples. Scale-free: a layer's output scaled by any
    c > 0 (its weight and bias, or its input through a homogeneous map) reads the same. Channels
    with s_c = 0 (up to rounding) are left out and counted."""
    x = means.detach().double()
    if x.dim() != 2 or len(x) < 2:
        raise ValueError(f"needs a (samples, channels) stack of at least two samples, got shape {tuple(x.shape)}")
    m, s = x.mean(dim=0), x.std(dim=0, correction=1)
    spread = s > CONSTANT * m.abs()
    kept = int(spread.sum())
    rms = float((m[spread] / s[spread]).pow(2).mean().sqrt()) if kept else None
    return Standardized(rms, x.shape[1] - kept)


def channel_means(output: torch.Tensor) -> torch.Tensor:
    """Per-sample per-channel means, (batch, channels): over the spatial positions of a conv's output."""
    out = output.detach().double()
    return out.mean(dim=tuple(range(2, out.dim()))) if out.dim() > 2 else out


def near_zero_share(grad: torch.Tensor) -> float:
    """Share of entries with |g| < NEAR_ZERO * mean |g| (exact zeros included); 1.0 when all are zero."""
    mag = grad.detach().abs()
    return float((mag < NEAR_ZERO * mag.mean()).double().mean()) if mag.any() else 1.0


def zero_share(grad: torch.Tensor) -> float:
    """Share of entries exactly zero."""
    return float((grad == 0).double().mean())


def _entry_variances(per_batch: torch.Tensor) -> torch.Tensor:
    """var_b(g_be) (ddof = 1) per entry e; by hand: torch's var over a short leading dim is much slower."""
    g = per_batch.double()
    return (g - g.mean(dim=0)).pow(2).sum(dim=0) / (len(g) - 1)


def raw_variance(per_batch: torch.Tensor) -> float:
    """Variance over mini-batches of each entry (ddof = 1), averaged over the entries, of a
    (batches, entries) stack. Not scale-free: a gradient scaled by c reads c^2 times larger."""
    return float(_entry_variances(per_batch).mean())


def relative_variance(per_batch: torch.Tensor) -> float | None:
    """Ratio of means: sum_e var_b(g_be) (ddof = 1) / sum_e mean_b(g_be^2) over a (batches, entries)
    stack. Scale-free (a layer's gradient scaled by any c reads the same), 0 for a gradient equal on
    every batch, at most B / (B - 1) for B batches; the ratio of means rather than the mean of
    per-entry ratios, which entries with a near-zero mean square would dominate. None when every
    entry is zero on every batch."""
    power = per_batch.double().pow(2).mean(dim=0).sum()
    return float(_entry_variances(per_batch).sum() / power) if power > 0 else None


def mean_norm(per_batch: torch.Tensor) -> float:
    """Mean over mini-batches of the gradient's L2 norm."""
    return float(per_batch.double().norm(dim=1).mean())


def log_histogram(grad: torch.Tensor, edges: list[float]) -> tuple[list[int], int]:
    """(counts of log10 |g| in the bins between ``edges``, number of exact zeros). Nonzero entries
    beyond the outer edges are counted in the outer bins, so the counts and the zeros add up to
    every entry."""
    g = grad.detach().double().flatten()
    nonzero = g[g != 0]
    logs = nonzero.abs().log10().clamp(edges[0], edges[-1])
    # numpy's bins: [e_k, e_k+1), the last one closed
    index = torch.bucketize(logs, torch.tensor(edges[1:-1], dtype=logs.dtype, device=logs.device), right=True)
    counts = torch.bincount(index, minlength=len(edges) - 1)
    return [int(c) for c in counts], int(len(g) - len(nonzero))
