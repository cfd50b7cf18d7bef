"""Whether a short run learned: its final generator against its own untrained one (the step-0
checkpoint), both measured against the training images.

The measure has to take seconds on a CPU, after the quick start: FID's Inception pass runs at a few
images a second there, so this is the Fréchet distance between images average-pooled to 8x8 pixels
(192 numbers in [0, 1] each), which sees colour and layout, not texture. It ranks a generator
against its own untrained one; it is not FID and not comparable with published numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from gans.config import TrainConfig
from gans.core.errors import UserError
from gans.data.images import load_images
from gans.eval.frechet import frechet_distance, statistics
from gans.runs import checkpoint as ckpt_io
from gans.runs import layout
from gans.runs.sampling import generate, load_generator

POOL = 8  # pixels per side after pooling
SAMPLES = 1000  # images per generator and of the reference: well above the 192 dimensions
# A run learned when its final distance is at most this fraction of its untrained generator's: the
# bar the protocol holds FID to (gans.analysis.rows.LEARNS)
LEARNS = 0.6
MEASURE = (f"Fréchet distance of {POOL}x{POOL}-pooled pixels to the training images, {SAMPLES:,} samples "
           "(not FID: Inception takes minutes on a CPU)")


def pixel_features(images: torch.Tensor) -> np.ndarray:
    """uint8 (n, C, H, W) -> (n, C * POOL * POOL) float64 in [0, 1]."""
    x = images.float().div(255)
    return F.adaptive_avg_pool2d(x, POOL).flatten(1).double().cpu().numpy()


def pixel_fd(images: torch.Tensor, reference: tuple[np.ndarray, np.ndarray]) -> float:
    return frechet_distance(*statistics(pixel_features(images)), *reference)


@dataclass(frozen=True)
class Learned:
    """One run's verdict from its final and untrained generators' distances."""

    system: str
    step: int
    final: float
    untrained: float

    @property
    def ratio(self) -> float:
        return self.final / self.untrained if self.untrained > 0 else float("inf")

    @property
    def learned(self) -> bool:
        return self.ratio <= LEARNS

    def line(self) -> str:
        verdict = "learned" if self.learned else "did not learn"
        return (f"{self.system}: {verdict} (score {self.final:.2f} at step {self.step:,} vs untrained "
                f"{self.untrained:.2f}: {self.ratio:.2f}x)")


def reference_stats(images: torch.Tensor, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The statistics of SAMPLES training images drawn without replacement (all when fewer)."""
    pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:SAMPLES]
    return statistics(pixel_features(images[pick]))


def real_floor(images: torch.Tensor) -> float | None:
    """The distance between two disjoint real draws of SAMPLES images: what a perfect generator
    would score (None when the data set is too small for two draws)."""
    if len(images) < 2 * SAMPLES:
        return None
    pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(1))
    return pixel_fd(images[pick[SAMPLES:2 * SAMPLES]], reference_stats(images[pick[:SAMPLES]]))


def check_learned(run_dir: str | Path, reference: tuple[np.ndarray, np.ndarray], device: str = "cpu",
                  seed: int = 0) -> Learned:
    """Score the run's latest checkpoint and its step-0 one against ``reference`` (reference_stats)."""
    scores = {}
    untrained = layout.checkpoint_path(run_dir, 0)
    if not untrained.is_file():
        raise UserError(f"{run_dir} has no step-0 checkpoint ({untrained.name}) to compare with; train it anew")
    for name, path in (("untrained", untrained), ("final", ckpt_io.resolve_checkpoint(run_dir))):
        G, cfg, state = load_generator(path, device)
        with torch.no_grad():
            images = torch.cat([x.cpu() for x in generate(G, SAMPLES, seed)])
        scores[name] = pixel_fd(images, reference)
        scores["step"], scores["system"] = int(state["step"]), cfg.system
    return Learned(scores["system"], scores["step"], scores["final"], scores["untrained"])


def learned_lines(cfgs: list[TrainConfig]) -> Iterator[str]:
    """A line naming the measure, then one verdict line per run (trained, with its step-0 checkpoint)."""
    stats: dict[tuple[str, str], tuple] = {}
    for i, cfg in enumerate(cfgs):
        key = (cfg.dataset, cfg.data_dir)
        if key not in stats:
            images = load_images(cfg.dataset, cfg.data_dir)
            stats[key] = (reference_stats(images), real_floor(images))
        reference, floor = stats[key]
        if i == 0:
            real = f"; two draws of real images score {floor:.2f}" if floor is not None else ""
            yield f"learned = the final score is at most {LEARNS}x the untrained generator's. Score: {MEASURE}{real}"
        yield "  " + check_learned(cfg.out, reference, cfg.device).line()
