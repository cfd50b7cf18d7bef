"""How a critic scores a step's real and fake images and what loss it trains on: the functions the
trainer's steps and the critic diagnostics both call, so a diagnosis measures the critic exactly as
training runs it."""
from __future__ import annotations

from contextlib import nullcontext
from typing import Callable, ContextManager, NamedTuple

import torch

from .penalty import gradient_penalty

PASSES = ("separate", "joint")
Critic = Callable[[torch.Tensor], torch.Tensor]


def critic_scores(critic: Critic, real: torch.Tensor, fake: torch.Tensor,
                  d_pass: str) -> tuple[torch.Tensor, torch.Tensor]:
    """D(real), D(fake) in fp32: two passes (``separate``), or one pass over both (``joint``), which
    gives batch-statistic norms (BN, MSN) one mean over real and fake instead of one per batch."""
    if d_pass == "joint":
        d_real, d_fake = critic(torch.cat([real, fake])).split([len(real), len(fake)])
        return d_real.float(), d_fake.float()
    if d_pass != "separate":
        raise ValueError(f"d_pass must be one of {', '.join(PASSES)}, got {d_pass!r}")
    return critic(real).float(), critic(fake).float()


class CriticLoss(NamedTuple):
    """The critic's loss in its two parts, kept apart because training logs each."""

    objective: torch.Tensor  # the adversarial loss of (D(real), D(fake))
    penalty: torch.Tensor  # the gradient penalty, a zero without one

    @property
    def total(self) -> torch.Tensor:
        return self.objective + self.penalty


def critic_loss(objective: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], critic: Critic,
                real: torch.Tensor, fake: torch.Tensor, scores: tuple[torch.Tensor, torch.Tensor],
                penalty_weight: float | None = None, alpha: torch.Tensor | None = None, scale: float = 1.0,
                autocast: Callable[[], ContextManager] = nullcontext) -> CriticLoss:
    """One critic step's loss: ``objective`` of ``scores`` (D(real), D(fake) from :func:`critic_scores`)
    plus, with a ``penalty_weight``, the gradient penalty at the mixing weights ``alpha``.

    ``alpha`` is an argument, never drawn here, so the caller decides whose RNG it comes from (the
    trainer's, or the diagnoser's own). ``scale`` and ``autocast`` are the mixed-precision loss scale
    and context the penalty's critic pass runs under; the objective is taken outside it, on fp32 scores.
    """
    loss = objective(*scores)
    if penalty_weight is None:
        return CriticLoss(loss, loss.new_zeros(()))
    if alpha is None:
        raise ValueError("a gradient penalty needs alpha (the mixing weights), drawn by the caller")
    with autocast():
        penalty = gradient_penalty(critic, real, fake, penalty_weight, alpha, scale)
    return CriticLoss(loss, penalty)
