"""What the trainer's critic step computes, handed to the diagnoser as parts (not the trainer), so a
diagnosis differentiates the very loss training does without reaching into the trainer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import torch

Critic = Callable[[torch.Tensor], torch.Tensor]


class Scores(Protocol):
    """``gans.losses.passes.critic_scores``: D(real), D(fake) as the pass mode scores them."""

    def __call__(self, critic: Critic, real: torch.Tensor, fake: torch.Tensor,
                 d_pass: str) -> tuple[torch.Tensor, torch.Tensor]: ...


class Penalty(Protocol):
    """``gans.losses.gradient_penalty``: the diagnoser always passes ``alpha`` (drawn from its own
    generator), so the penalty never draws from the training RNG."""

    def __call__(self, critic: Critic, real: torch.Tensor, fake: torch.Tensor, weight: float,
                 alpha: torch.Tensor) -> torch.Tensor: ...


@dataclass(frozen=True)
class CriticTraining:
    objective: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # the critic's loss of (D(real), D(fake))
    scores: Scores  # the trainer's own scoring function
    d_pass: str  # separate | joint
    penalty: Penalty | None = None
    penalty_weight: float = 0.0

    def loss(self, critic: Critic, real: torch.Tensor, fake: torch.Tensor,
             scores: tuple[torch.Tensor, torch.Tensor], alpha: torch.Tensor | None) -> torch.Tensor:
        """The critic's training loss from its ``scores`` (D(real), D(fake), from :attr:`scores`) plus
        the penalty at ``alpha``, as one critic step computes it."""
        loss = self.objective(*scores)
        if self.penalty is not None:
            if alpha is None:
                raise ValueError("a penalty needs alpha: the diagnoser draws it, never the training RNG")
            loss = loss + self.penalty(critic, real, fake, self.penalty_weight, alpha)
        return loss
