"""The built-in offline data set: coloured shapes on textured backgrounds.

Deterministic from a seed, generated in a fraction of a second, and structured enough (sharp
edges, a few shape classes, smooth gradients, stripes) that a GAN visibly learns it in a few
hundred CPU steps — so the quick start needs no download.
"""
from __future__ import annotations

import math

import torch


def make_shapes(n: int, size: int = 32, seed: int = 0) -> torch.Tensor:
    """n RGB images as uint8 (n, 3, size, size)."""
    g = torch.Generator().manual_seed(seed)

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, 1, 1, generator=g)

    axis = torch.linspace(-1, 1, size)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    # background: a two-colour gradient in a random direction, plus faint stripes
    c1, c2 = rand(n, 3) * 0.6, rand(n, 3) * 0.6
    theta = rand(n, 1) * 2 * math.pi
    t = ((torch.cos(theta) * xs + torch.sin(theta) * ys + 1) / 2).clamp(0, 1)
    img = c1 + (c2 - c1) * t
    freq, phase, angle = 2 + rand(n, 1) * 6, rand(n, 1) * 2 * math.pi, rand(n, 1) * math.pi
    img = img + 0.08 * torch.sin(freq * math.pi * (torch.cos(angle) * xs + torch.sin(angle) * ys) + phase)
    # one or two shapes: circle, square or triangle, in saturated colours
    for k in range(2):
        present = rand(n, 1) < (1.0 if k == 0 else 0.5)
        kind = (rand(n, 1) * 3).floor()
        dx, dy = xs - (rand(n, 1) * 1.2 - 0.6), ys - (rand(n, 1) * 1.2 - 0.6)
        r = 0.2 + rand(n, 1) * 0.35
        circle = dx**2 + dy**2 < r**2
        square = torch.maximum(dx.abs(), dy.abs()) < 0.85 * r
        triangle = (dy < 0.6 * r) & (dy > 1.8 * dx.abs() - r)
        mask = torch.where(kind == 0, circle, torch.where(kind == 1, square, triangle)) & present
        colour = rand(n, 3)
        lo, hi = colour.amin(1, keepdim=True), colour.amax(1, keepdim=True)
        colour = 0.15 + 0.85 * (colour - lo) / (hi - lo + 1e-6)
        img = torch.where(mask, colour, img)
    return (img.clamp(0, 1) * 255).round().to(torch.uint8)
