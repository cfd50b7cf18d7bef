"""Gradient penalty of WGAN-GP (Gulrajani et al. 2017, Eq. 3)."""
from __future__ import annotations

from typing import Callable

import torch


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    weight: float = 10.0,
    alpha: torch.Tensor | None = None,
    scale: float = 1.0,
) -> torch.Tensor:
    """weight * E[(||grad_x D(x_hat)||_2 - 1)^2] on x_hat = alpha*real + (1-alpha)*fake.

    ``alpha`` ~ U[0, 1] per sample unless given (tests pass it to compare with a closed form).
    The graph is kept (create_graph) so the penalty trains the critic. ``scale`` (fp16's loss
    scale) multiplies the critic's output before the inner gradient and divides the gradient after,
    so small gradients survive fp16; the norm is taken in fp32.
    """
    if alpha is None:
        alpha = torch.rand(real.shape[0], device=real.device, dtype=real.dtype)
    alpha = alpha.view(-1, *([1] * (real.dim() - 1)))
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    out = critic(x_hat).float().sum()
    (grad,) = torch.autograd.grad(out * scale if scale != 1 else out, x_hat, create_graph=True)
    grad = grad.float() / scale if scale != 1 else grad.float()
    return weight * (grad.flatten(1).norm(2, dim=1) - 1).pow(2).mean()
