"""Repeated-draw evaluation of generators: one Inception pass per draw gives IS, FID and KID.

Images are generated on the fly in batches and never written to disk. A draw's numbers are
``is_mean``/``is_std`` (over its IS splits), ``fid`` and ``kid_mean``/``kid_std`` (over KID
subsets). Over draws, and then over checkpoints (training seeds), each number is summarized as
mean and std: ``is_mean`` / ``is_std``, ``fid`` / ``fid_std``, ``kid_mean`` / ``kid_std``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from eval.inception import Inception
from eval.metrics import extract, fid, inception_score, kid
from eval.reference import Reference

# Named protocols; explicit flags override their fields and turn the name into "custom".
PROTOCOLS: dict[str, dict[str, Any]] = {
    # Miyato et al. 2018 (SNGAN): 10 draws of 5,000 samples; FID against 10,000 training images.
    "sngan": {"num_samples": 5000, "repeats": 10, "reference": "cifar10-train", "reference_count": 10000},
    # Now common (StyleGAN, StudioGAN): 50,000 samples against the full training set's statistics.
    "50k": {"num_samples": 50000, "repeats": 1, "reference": "cifar10-train", "reference_count": None},
}
METRICS = ("is_mean", "is_std", "fid", "kid_mean", "kid_std")


@dataclass
class Protocol:
    name: str = "50k"
    num_samples: int = 50000
    repeats: int = 1
    reference: str = "cifar10-train"
    reference_count: int | None = None
    seed: int = 0  # draw r uses latent seed seed + r
    is_splits: int = 10
    is_shuffle: bool = False  # OpenAI/NVIDIA split in order; torch-fidelity shuffles
    kid_subsets: int = 100
    kid_subset_size: int = 1000
    metric_seed: int = 2020  # KID subsets and IS shuffling; torch-fidelity's default
    std: str = "population (ddof=0)"

    @classmethod
    def build(cls, name: str, **overrides: Any) -> "Protocol":
        base = PROTOCOLS[name]
        changed = {k: v for k, v in overrides.items() if v is not None}
        custom = any(base.get(k, getattr(cls, k, None)) != v for k, v in changed.items() if k in base)
        return cls(name="custom" if custom else name, **{**base, **changed})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def score(feats: dict[str, torch.Tensor], ref: Reference, protocol: Protocol) -> dict[str, float | None]:
    """IS, FID and KID of one feature set; None where the weights or the reference cannot give it."""
    row: dict[str, float | None] = dict.fromkeys(METRICS)
    if "logits_unbiased" in feats:
        row["is_mean"], row["is_std"] = inception_score(feats["logits_unbiased"], protocol.is_splits,
                                                        protocol.is_shuffle, protocol.metric_seed)
    row["fid"] = fid(feats["2048"], (ref.mu, ref.sigma))
    if ref.features is not None:
        row["kid_mean"], row["kid_std"] = kid(feats["2048"], ref.features, protocol.kid_subsets,
                                              protocol.kid_subset_size, protocol.metric_seed)
    return row


def evaluate_generator(G: torch.nn.Module, inception: Inception, ref: Reference, protocol: Protocol,
                       batch_size: int = 250, bar=None) -> list[dict[str, Any]]:
    """``protocol.repeats`` draws of ``protocol.num_samples`` images, each scored against ``ref``."""
    from gans.sampling import generate

    was_training = G.training
    G.eval()  # running statistics, not batch statistics, and no power-iteration updates
    rows = []
    try:
        for r in range(protocol.repeats):
            seed = protocol.seed + r
            feats = extract(generate(G, protocol.num_samples, seed, batch_size), inception, bar=bar)
            rows.append({"draw": r, "sample_seed": seed, "num_samples": protocol.num_samples,
                         **score(feats, ref, protocol)})
    finally:
        G.train(was_training)
    return rows


def summarize(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Mean and population std over rows of the headline numbers (IS mean, FID, KID mean)."""
    out: dict[str, float | None] = {}
    for key, std_name in (("is_mean", "is_std"), ("fid", "fid_std"), ("kid_mean", "kid_std")):
        values = [r[key] for r in rows if r.get(key) is not None]
        out[key] = float(np.mean(values)) if values else None
        out[std_name] = float(np.std(values)) if values else None
    return out
