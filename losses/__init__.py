"""Losses: adversarial objectives (pure functions of scores) and the gradient penalty."""
from __future__ import annotations

from typing import Callable, NamedTuple

import torch

from losses.objectives import hinge_d, hinge_g, ns_d, ns_g, wgan_d, wgan_g
from losses.penalty import gradient_penalty


class Objective(NamedTuple):
    d: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g: Callable[[torch.Tensor], torch.Tensor]


LOSSES: dict[str, Objective] = {
    "wgan": Objective(wgan_d, wgan_g),
    "hinge": Objective(hinge_d, hinge_g),
    "ns": Objective(ns_d, ns_g),
}


def get_loss(name: str) -> Objective:
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}") from None


__all__ = ["LOSSES", "Objective", "get_loss", "gradient_penalty"]
