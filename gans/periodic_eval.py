"""Training-time FID (and IS, KID when the weights allow): a fixed latent set every N steps, so the
curve moves only with the generator. Uses the same engine as `gans eval`."""
from __future__ import annotations

import time
from typing import Any

import torch

from gans.config import TrainConfig


class PeriodicEval:
    def __init__(self, cfg: TrainConfig, images: torch.Tensor) -> None:
        from eval.evaluate import Protocol
        from eval.jobs import prepare

        reference = cfg.eval_reference or cfg.dataset
        self.protocol = Protocol(name="train-time", num_samples=cfg.eval_samples, repeats=1, reference=reference,
                                 reference_count=cfg.eval_reference_count or None, seed=cfg.seed + 2,
                                 kid_subset_size=min(1000, cfg.eval_samples))
        own = None if cfg.eval_reference else images  # the training data is already in memory
        self.inception, self.reference = prepare(self.protocol, cfg.inception_weights or None, cfg.device,
                                                 cfg.data_dir, None, 100, progress=False, images=own)

    def __call__(self, G: torch.nn.Module, step: int) -> dict[str, Any]:
        from eval.evaluate import evaluate_generator

        t0 = time.perf_counter()
        (draw,) = evaluate_generator(G, self.inception, self.reference, self.protocol, batch_size=100)
        return {"step": step, **{k: draw[k] for k in ("fid", "is_mean", "is_std", "kid_mean", "kid_std")},
                "num_samples": self.protocol.num_samples, "reference": self.protocol.reference,
                "seconds": time.perf_counter() - t0}
