"""Reference statistics of real images, computed once and cached.

The cache key holds the data set, the image count, a hash of the images and a hash of the Inception
weights file. torch-fidelity keys its cache by input name only, so switching weight files silently
reuses stale statistics; hashing the weights cannot. Statistics are saved in pytorch-fid's ``.npz``
layout (``mu``, ``sigma``), so its files can be used here and ours there; the features themselves
go beside them (``.features.npy``) because KID and PRDC need them.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from gans.eval.frechet import statistics
from gans.eval.inception import Inception
from gans.eval.metrics import load_stats, save_stats
from gans.eval.prdc import knn_radii
from gans.core.files import write_atomic
from gans.data.images import load_images
from gans.core.errors import UserError

CACHE_ENV = "GANS_CACHE"


def default_cache_dir() -> Path:
    root = os.environ.get(CACHE_ENV) or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gans"
    return Path(root) / "stats"


@dataclass
class Reference:
    """Real-data statistics; ``features`` is None for a bare statistics file (no KID or PRDC then)."""

    name: str
    count: int | None
    mu: np.ndarray
    sigma: np.ndarray
    features: torch.Tensor | None
    source: str  # the cache file, or the statistics file it came from
    # k -> the features' k-NN radii: N x N distances, the larger half of PRDC's cost at N = 50,000,
    # and the same for every draw and every training-time evaluation against this reference
    _radii: dict[int, torch.Tensor] = field(default_factory=dict, init=False, repr=False, compare=False)

    def knn_radii(self, k: int, device: torch.device | str | None = None) -> torch.Tensor:
        """The reference features' k-NN radii for PRDC, computed on ``device`` the first time, kept on the CPU."""
        if self.features is None:
            raise ValueError(f"{self.source} holds statistics only: no features, no k-NN radii")
        if k not in self._radii:
            self._radii[k] = knn_radii(self.features, k, device=device).cpu()
        return self._radii[k]

    def describe(self) -> dict:
        return {"reference": self.name, "reference_count": self.count, "reference_stats": self.source}


def is_stats_file(path: Path) -> bool:
    if path.suffix != ".npz" or not path.is_file():
        return False
    with np.load(path) as f:
        return {"mu", "sigma"} <= set(f.files)


def images_digest(images: torch.Tensor) -> str:
    h = hashlib.blake2b(digest_size=8)
    h.update(str(tuple(images.shape)).encode())
    h.update(images.contiguous().numpy().tobytes())
    return h.hexdigest()


def _label(reference: str) -> str:
    path = Path(reference)
    return path.stem if path.suffix or os.sep in reference else reference


def get_reference(reference: str, inception: Inception, *, count: int | None = None, data_dir: str | Path = "data",
                  cache_dir: Path | None = None, images: torch.Tensor | None = None,
                  features_of: Callable[[torch.Tensor], dict[str, torch.Tensor]]) -> Reference:
    """Statistics for a data set name, an image folder / ``.npz``, or a pytorch-fid statistics file.

    ``count`` takes the first N images (None: all). ``images``, when given, are used instead of
    loading ``reference`` again (the trainer has them in memory). ``features_of`` runs Inception.
    """
    path = Path(reference)
    if images is None and is_stats_file(path):
        mu, sigma = load_stats(path)
        if mu.shape != (2048,) or sigma.shape != (2048, 2048):
            raise UserError(f"{path} holds statistics of shape {mu.shape}/{sigma.shape}, not 2048-d pool "
                            "features; pass pytorch-fid or gans statistics of Inception pool3")
        return Reference(str(path), None, mu, sigma, None, str(path))
    if images is None:
        images = load_images(reference, data_dir)
    if count is not None:
        if count > len(images):
            raise UserError(f"--reference-count {count} exceeds the {len(images)} images of {reference}; lower it")
        images = images[:count]
    key = f"{_label(reference)}-n{len(images)}-{images_digest(images)}-w{inception.digest}"
    cache = (cache_dir or default_cache_dir()) / f"{key}.npz"
    feats_file = cache.with_suffix(".features.npy")
    if cache.is_file() and feats_file.is_file():
        mu, sigma = load_stats(cache)
        return Reference(reference, len(images), mu, sigma, torch.from_numpy(np.load(feats_file)), str(cache))
    feats = features_of(images)["2048"]
    mu, sigma = statistics(feats.numpy())
    try:  # atomic writes: a killed run never leaves a torn cache entry
        write_atomic(feats_file, lambda f: np.save(f, feats.numpy()))
        write_atomic(cache, lambda f: save_stats(f, mu, sigma))
    except OSError as e:
        print(f"note: reference statistics not cached ({e.strerror}: {cache.parent}); set {CACHE_ENV} to a writable folder")
    return Reference(reference, len(images), mu, sigma, feats, str(cache))
