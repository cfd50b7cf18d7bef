"""IS, FID and KID from Inception features, using torch-fidelity's own metric functions.

Only the Fréchet distance is ours (exact and faster; see :mod:`eval.frechet`); the IS split
protocol and the KID estimator are torch-fidelity's, called with explicit arguments (on a GPU, KID's
estimator is rewritten to run there, and tested against torch-fidelity's).
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import torch

from gans.eval.frechet import frechet_distance, frechet_distance_to_samples, moments
from gans.eval.inception import Extractor


class ImageDataset(torch.utils.data.Dataset):
    """A uint8 (N, C, H, W) tensor as the Dataset torch-fidelity takes (TensorDataset yields tuples)."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.images[i]


def rgb(images: torch.Tensor) -> torch.Tensor:
    """Inception takes three channels; grayscale is repeated, as torchvision's Grayscale(3) does."""
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images


def extract(images: Iterable[torch.Tensor], extractor: Extractor, device: torch.device | str | None = None,
            bar=None) -> dict[str, torch.Tensor]:
    """Run uint8 batches through the extractor on ``device`` (default: the extractor's own, else the
    CPU); concatenate each feature on the CPU."""
    device = device or getattr(extractor, "device", "cpu")
    out: dict[str, list[torch.Tensor]] = {}
    with torch.inference_mode():
        for batch in images:
            for k, v in extractor(rgb(batch).to(device)).items():
                out.setdefault(k, []).append(v.cpu())
            if bar is not None:
                bar.update(len(batch))
    return {k: torch.cat(v) for k, v in out.items()}


def inception_score(logits: torch.Tensor, splits: int = 10, shuffle: bool = False, seed: int = 2020) -> tuple[float, float]:
    """Mean and std over splits of exp(E KL(p(y|x) || p(y))).

    ``shuffle=False`` splits in order, as the OpenAI and NVIDIA references do; torch-fidelity
    shuffles by default. Either way the choice is recorded with the result.
    """
    from torch_fidelity.metric_isc import isc_features_to_metric

    r = isc_features_to_metric(logits, splits=splits, shuffle=shuffle, rng_seed=seed)
    return r["inception_score_mean"], r["inception_score_std"]


def fid(features_a: torch.Tensor | tuple, features_b: torch.Tensor | tuple,
        device: torch.device | str | None = None) -> float:
    """FID between two feature sets, or (mu, sigma) statistics, computed on ``device`` (default: the CPU).

    A feature set with no more samples than dimensions (a rank-deficient covariance, e.g. 1,000
    training-time samples) goes through the sample form, which keeps float64 accuracy there.
    """
    def stats(x: torch.Tensor | tuple) -> tuple:
        return x if isinstance(x, tuple) else moments(x, device)  # stays on the device, no host round trip

    # the distance is symmetric: the smaller sample set, if any, takes the sample form
    a, b = sorted((features_a, features_b), key=lambda x: len(x) if not isinstance(x, tuple) else float("inf"))
    if not isinstance(a, tuple) and len(a) <= a.shape[1]:
        return frechet_distance_to_samples(a, *stats(b), device=device)
    return frechet_distance(*stats(a), *stats(b), device=device)


def kid(features_a: torch.Tensor, features_b: torch.Tensor, subsets: int = 100, subset_size: int = 1000,
        seed: int = 2020, device: torch.device | str | None = None) -> tuple[float, float]:
    """Kernel Inception Distance (cubic polynomial kernel, unbiased MMD^2), torch-fidelity's estimator.

    Without a CUDA ``device``, torch-fidelity's own function. On one, the same subsets (its RandomState
    draws, in its order) are scored there in float64 (:func:`kid_subsets`): torch-fidelity's numpy
    float32 kernels, 3 x 100 products of 1000 x 2048 by 2048 x 1000, would run on the host's cores.
    """
    size = min(subset_size, len(features_a), len(features_b))
    if device is not None and torch.device(device).type == "cuda":
        return kid_subsets(features_a, features_b, subsets, size, seed, device)
    from torch_fidelity.metric_kid import kid_features_to_metric

    r = kid_features_to_metric(features_a, features_b, kid_subsets=subsets, kid_subset_size=size,
                               kid_kernel="poly", kid_kernel_poly_degree=3,
                               kid_kernel_poly_gamma=None, kid_kernel_poly_coef0=1,
                               rng_seed=seed, verbose=False)
    return r["kernel_inception_distance_mean"], r["kernel_inception_distance_std"]


def kid_subsets(features_a: torch.Tensor, features_b: torch.Tensor, subsets: int, size: int, seed: int,
                device: torch.device | str) -> tuple[float, float]:
    """torch-fidelity's KID estimator on ``device`` in float64: per subset, k(x, y) = (x.y / d + 1)^3
    and the unbiased MMD^2 (diagonals left out of the within-set sums); mean and population std."""
    rng = np.random.RandomState(seed)
    a, b = (f.to(device=device, dtype=torch.float64) for f in (features_a, features_b))
    d, m = a.shape[1], size
    mmds = []
    for _ in range(subsets):
        ia = torch.from_numpy(rng.choice(len(a), m, replace=False)).to(a.device)
        ib = torch.from_numpy(rng.choice(len(b), m, replace=False)).to(b.device)
        x, y = a[ia], b[ib]
        kxx, kyy, kxy = ((p @ q.T / d + 1) ** 3 for p, q in ((x, x), (y, y), (x, y)))
        within = kxx.sum() - kxx.diagonal().sum() + kyy.sum() - kyy.diagonal().sum()
        mmds.append(within / (m * (m - 1)) - 2 * kxy.sum() / (m * m))
    values = torch.stack(mmds).cpu().numpy()  # one host read for all subsets
    return float(values.mean()), float(values.std())


def save_stats(path, mu: np.ndarray, sigma: np.ndarray) -> None:
    """pytorch-fid's .npz layout (keys mu, sigma), so the files work in both tools."""
    np.savez(path, mu=mu, sigma=sigma)


def load_stats(path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as f:
        return f["mu"], f["sigma"]
