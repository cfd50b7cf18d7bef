"""Training-time FID (and IS, KID when the weights allow): a fixed latent set every N steps, so the
curve moves only with the generator. Uses the same engine as `gans eval`."""
from __future__ import annotations

import time

import torch

from gans.config import TrainConfig
from gans.eval.protocol import Protocol
from gans.eval.scoring import prepare, score_draws
from gans.runs.log_records import EvalPoint
from gans.runs.sampling import generate, sampling_mode


def train_time_protocol(cfg: TrainConfig) -> Protocol:
    """One draw of --eval-samples against --eval-reference (default: the training data), on latents
    of their own seed (the run's seed + 2: apart from the training noise and the grids)."""
    return Protocol.build("train-time", num_samples=cfg.eval_samples, reference=cfg.eval_reference or cfg.dataset,
                          reference_count=cfg.eval_reference_count or None, seed=cfg.seed + 2)


class PeriodicEval:
    def __init__(self, cfg: TrainConfig, images: torch.Tensor, device: torch.device) -> None:
        self.protocol = train_time_protocol(cfg)
        own = None if cfg.eval_reference else images  # the training data is already in memory
        self.inception, self.reference = prepare(self.protocol, cfg.inception_weights or None, device,
                                                 cfg.data_dir, None, 100, progress=False, images=own)

    def __call__(self, G: torch.nn.Module, step: int) -> EvalPoint:
        t0 = time.perf_counter()
        with sampling_mode(G):
            (draw,) = score_draws(lambda seed: generate(G, self.protocol.num_samples, seed, 100),
                                  self.inception, self.reference, self.protocol)
        return EvalPoint(**draw.to_json(), step=step, reference=self.protocol.reference,
                         seconds=time.perf_counter() - t0)
