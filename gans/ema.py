"""An exponential moving average of the generator: the network most GAN papers sample and score.

Parameters and floating-point buffers (BN running statistics) are averaged, as StudioGAN does.
The decay warms up as min(decay, (1 + n) / (10 + n)) after n updates (TensorFlow's
ExponentialMovingAverage with num_updates): with a fixed 0.9999 the average of a short run would
still be mostly the untrained network.
"""
from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn


class EMA:
    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        keep = self.current_decay()
        for mine, theirs in zip(self.model.parameters(), model.parameters()):
            mine.lerp_(theirs.detach(), 1 - keep)
        for mine, theirs in zip(self.model.buffers(), model.buffers()):
            if mine.dtype.is_floating_point:
                mine.lerp_(theirs, 1 - keep)
            else:  # step counters
                mine.copy_(theirs)

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "updates": self.updates, "decay": self.decay}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.updates = int(state["updates"])
