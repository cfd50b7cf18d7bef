"""Adversarial objectives as pure functions of critic outputs.

Each takes the critic's scores and returns a scalar to *minimize*; which side (critic or
generator) is in the name.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F


def wgan_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Critic side of the Wasserstein objective: E[D(fake)] - E[D(real)]."""
    return fake.mean() - real.mean()


def wgan_g(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def hinge_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """SNGAN's best objective (Miyato et al. 2018, Eq. 16 / Lim & Ye 2017)."""
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def hinge_g(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def ns_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Non-saturating GAN (Goodfellow et al. 2014) on logits: softplus is -log(sigmoid)."""
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def ns_g(fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-fake).mean()


class Objective(NamedTuple):
    """An adversarial loss: ``d(real_scores, fake_scores)`` for the critic, ``g(fake_scores)`` for the generator."""

    d: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g: Callable[[torch.Tensor], torch.Tensor]


WGAN = Objective(wgan_d, wgan_g)
HINGE = Objective(hinge_d, hinge_g)
NS = Objective(ns_d, ns_g)
