"""How a critic scores a step's real and fake images: the one function the trainer's steps and the
critic diagnostics both call, so a diagnosis measures the critic exactly as training runs it."""
from __future__ import annotations

from typing import Callable

import torch

PASSES = ("separate", "joint")


def critic_scores(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                  d_pass: str) -> tuple[torch.Tensor, torch.Tensor]:
    """D(real), D(fake) in fp32: two passes (``separate``), or one pass over both (``joint``), which
    gives batch-statistic norms (BN, MSN) one mean over real and fake instead of one per batch."""
    if d_pass == "joint":
        d_real, d_fake = critic(torch.cat([real, fake])).split([len(real), len(fake)])
        return d_real.float(), d_fake.float()
    if d_pass != "separate":
        raise ValueError(f"d_pass must be one of {', '.join(PASSES)}, got {d_pass!r}")
    return critic(real).float(), critic(fake).float()
