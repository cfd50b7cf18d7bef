"""Scoring image sources: one Inception pass per draw gives IS, FID, KID and PRDC.

A source is a callable ``draw(seed) -> iterable of uint8 (b, 3, H, W) batches``: a generator
sampled on the fly, an image set, anything. Nothing here knows about runs or checkpoints.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

import torch

from gans.eval.inception import Inception, open_inception
from gans.eval.infinity import fid_infinity
from gans.eval.metrics import extract, fid, inception_score, kid
from gans.eval.prdc import prdc
from gans.eval.protocol import Protocol
from gans.eval.records import Draw, Report, Result, Summary, Weights
from gans.eval.reference import Reference, get_reference

DrawSource = Callable[[int], Iterable[torch.Tensor]]


def progress_bar(total: int, desc: str, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="img", dynamic_ncols=True, disable=not progress)


def prepare(protocol: Protocol, weights: str | None, device: str | torch.device, data_dir: str,
            cache_dir: Path | None, batch_size: int, progress: bool, log: Callable[[str], None] = print,
            images: torch.Tensor | None = None,
            slow: Callable[[int, float], None] | None = None) -> tuple[Inception, Reference]:
    """Load Inception and the reference statistics (cached after the first time). ``images``, when
    given, are the reference's images already in memory. ``slow(n, seconds_per_image)`` is called
    once when computing the statistics of the reference's n images will take over a minute."""
    inception = open_inception(weights, device, log=log)

    def features_of(images: torch.Tensor) -> dict[str, torch.Tensor]:
        batches = images.split(batch_size)
        with progress_bar(len(images), f"reference {protocol.reference}", progress) as bar:
            return extract(_timed(batches, len(images), slow) if slow else batches, inception, bar=bar)

    ref = get_reference(protocol.reference, inception, count=protocol.reference_count, data_dir=data_dir,
                        cache_dir=cache_dir, images=images, features_of=features_of)
    if ref.features is None:
        log(f"note: {Path(protocol.reference).name} holds statistics only: FID is computed, KID and PRDC need "
            "the reference images (pass a data set or image folder as --reference)")
    return inception, ref


def _timed(batches: Iterable[torch.Tensor], total: int, slow: Callable[[int, float], None],
           minute: float = 60.0) -> Iterator[torch.Tensor]:
    """``batches`` as they are, timing the second one (the first holds start-up) and calling
    ``slow`` when all ``total`` images at that pace take longer than ``minute`` seconds."""
    start, size = None, 0
    for i, batch in enumerate(batches):
        if i == 2 and start is not None:
            per_image = (time.perf_counter() - start) / size
            if per_image * total > minute:
                slow(total, per_image)
        if i == 1:
            start, size = time.perf_counter(), len(batch)
        yield batch


def score(feats: dict[str, torch.Tensor], ref: Reference, protocol: Protocol,
          device: torch.device | str = "cpu") -> dict[str, float | None]:
    """IS, FID, KID and PRDC of one feature set; None where the weights or the reference cannot
    give it. FID's statistics, KID's kernels and PRDC's distances are computed on ``device`` (float64:
    fast on a GPU, minutes on a CPU at 50,000 samples)."""
    row: dict[str, float | None] = {}
    if "logits_unbiased" in feats:
        row["is_mean"], row["is_std"] = inception_score(feats["logits_unbiased"], protocol.is_splits,
                                                        protocol.is_shuffle, protocol.metric_seed)
    # the reference statistics moved to the device once, not once per FID (FID-infinity computes several)
    reference = tuple(torch.as_tensor(x).to(device=device, dtype=torch.float64) for x in (ref.mu, ref.sigma))
    row["fid"] = fid(feats["2048"], reference, device)
    sizes = sorted({n for n in protocol.fid_sizes if 2 <= n <= len(feats["2048"])})
    if len(sizes) >= 2:
        c = fid_infinity(feats["2048"], reference, sizes, protocol.metric_seed, device)
        row["fid_infinity"], row["fid_curve"] = c.infinity, [[n, f] for n, f in zip(c.sizes, c.fids)]
    if ref.features is not None:
        row["kid_mean"], row["kid_std"] = kid(feats["2048"], ref.features, protocol.kid_subsets,
                                              protocol.kid_subset_size, protocol.metric_seed, device)
        k = protocol.prdc_k
        if min(len(ref.features), len(feats["2048"])) > k:  # k-NN radii need k other points
            p = prdc(ref.features, feats["2048"], k, device=device, real_radii=ref.knn_radii(k, device))
            row.update(dataclasses.asdict(p))
    return row


def score_draws(source: DrawSource, inception: Inception, ref: Reference, protocol: Protocol,
                bar=None) -> list[Draw]:
    """``protocol.repeats`` draws of ``source``, draw r with seed ``protocol.seed + r``."""
    draws = []
    for r in range(protocol.repeats):
        seed = protocol.seed + r
        feats = extract(source(seed), inception, bar=bar)
        n = len(feats["2048"])
        draws.append(Draw(r, seed, n, **score(feats, ref, protocol, getattr(inception, "device", "cpu"))))
    return draws


def score_images(images: torch.Tensor, inception: Inception, ref: Reference, protocol: Protocol,
                 batch_size: int = 100, bar=None) -> Result:
    """One image set, scored once (e.g. the real-data row of a table)."""
    (draw,) = score_draws(lambda seed: images.split(batch_size), inception, ref,
                          dataclasses.replace(protocol, repeats=1), bar)
    draw.sample_seed = None
    return Result(source="images", draws=[draw], summary=Summary.of([draw]))


def report(protocol: Protocol, inception: Inception, ref: Reference, results: list[Result]) -> Report:
    """The report of ``results``, recording the protocol as run and the weights."""
    as_run = dataclasses.replace(protocol, reference=ref.name, reference_count=ref.count)
    return Report(as_run, ref.source, Weights(str(inception.path), inception.fmt, inception.digest, inception.network), results)
