"""What the trainer's critic step computes, handed to the diagnoser as parts (not the trainer), so a
diagnosis differentiates the very loss training does without reaching into the trainer: both call
:func:`gans.losses.passes.critic_scores` and :func:`gans.losses.passes.critic_loss`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from gans.losses.passes import Critic, critic_loss, critic_scores


@dataclass(frozen=True)
class CriticTraining:
    objective: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # the critic's loss of (D(real), D(fake))
    d_pass: str  # separate | joint
    penalty_weight: float | None = None  # the gradient penalty's weight; None: no penalty

    scores = staticmethod(critic_scores)  # D(real), D(fake) as the trainer scores them

    def loss(self, critic: Critic, real: torch.Tensor, fake: torch.Tensor,
             scores: tuple[torch.Tensor, torch.Tensor], alpha: torch.Tensor | None) -> torch.Tensor:
        """The critic's training loss from its ``scores`` (D(real), D(fake), from :attr:`scores`) plus
        the penalty at ``alpha``, which the diagnoser draws from its own generator, never the training RNG."""
        return critic_loss(self.objective, critic, real, fake, scores, self.penalty_weight, alpha).total
