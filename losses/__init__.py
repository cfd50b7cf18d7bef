"""Losses: adversarial objectives (pure functions of scores) and the gradient penalty.

Names are known without importing torch (see :mod:`gans.core.registry`); entries load on first use.
"""
from __future__ import annotations

if __name__ != "gans.losses":  # one copy of each class: never importable under a second name
    raise ImportError("import gans.losses, not losses: this folder is installed as gans.losses (pip install -e .)")

from gans.core.registry import Registry, lazy_exports

LOSSES: Registry = Registry(__name__, {
    "wgan": ".objectives:WGAN",
    "hinge": ".objectives:HINGE",
    "ns": ".objectives:NS",
})


def get_loss(name: str):
    """The :class:`~gans.losses.objectives.Objective` (critic and generator sides) of a name."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}") from None


__all__ = ["LOSSES", "Objective", "get_loss", "gradient_penalty"]
__getattr__ = lazy_exports(__name__, {"Objective": ".objectives", "gradient_penalty": ".penalty"})
