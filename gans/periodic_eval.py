"""Training-time FID (and IS, KID when the weights allow): a fixed latent set every N steps, so the
curve moves only with the generator. Uses the same engine as `gans eval`."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from gans.config import TrainConfig


class PeriodicEval:
    def __init__(self, cfg: TrainConfig, images: torch.Tensor, device: torch.device) -> None:
        from eval.evaluate import Protocol
        from eval.inception import open_inception
        from eval.metrics import extract
        from eval.reference import get_reference

        self.inception = open_inception(cfg.inception_weights or None, device)
        reference = cfg.eval_reference or cfg.dataset
        count = cfg.eval_reference_count or None
        self.protocol = Protocol(name="train-time", num_samples=cfg.eval_samples, repeats=1, reference=reference,
                                 reference_count=count, seed=cfg.seed + 2, kid_subset_size=min(1000, cfg.eval_samples))
        if not self.inception.has_logits:
            print(f"note: {Path(self.inception.path).name} gives pool features only: training-time IS is "
                  "unavailable, FID and KID are computed")
        own = None if cfg.eval_reference else images  # the training data is already in memory
        self.reference = get_reference(
            reference, self.inception, count=count, data_dir=cfg.data_dir, images=own,
            features_of=lambda x: extract(x.split(100), self.inception, self.inception.device))

    def __call__(self, G: torch.nn.Module, step: int) -> dict[str, Any]:
        from eval.evaluate import evaluate_generator

        t0 = time.perf_counter()
        (draw,) = evaluate_generator(G, self.inception, self.reference, self.protocol, batch_size=100)
        return {"step": step, **{k: draw[k] for k in ("fid", "is_mean", "is_std", "kid_mean", "kid_std")},
                "num_samples": self.protocol.num_samples, "reference": self.protocol.reference,
                "seconds": time.perf_counter() - t0}
