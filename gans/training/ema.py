"""An exponential moving average of the generator: the network most GAN papers sample and score.

Parameters and floating-point buffers (BN running statistics) are averaged, as StudioGAN does.
The decay warms up as min(decay, (1 + n) / (10 + n)) after n updates (TensorFlow's
ExponentialMovingAverage with num_updates): with a fixed 0.9999 the average of a short run would
still be mostly the untrained network.

Not torch.optim.swa_utils.AveragedModel: its get_ema_multi_avg_fn has a fixed decay (no warm-up) and
averages integer buffers (num_batches_tracked) in float and truncates them, and its update_parameters
copies its CPU counter ``n_averaged`` to the device with a blocking copy at every update, a host-device
sync per generator step on a GPU that this update, with the decay a Python float, does not have.
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
        mine = [*self.model.parameters(), *self.model.buffers()]
        theirs = [*model.parameters(), *model.buffers()]
        floats = [i for i, t in enumerate(mine) if t.dtype.is_floating_point]
        # one fused update for all tensors (a python loop over ~50 small tensors costs more than the step's math)
        torch._foreach_lerp_([mine[i] for i in floats], [theirs[i].detach() for i in floats], 1 - keep)
        for i, t in enumerate(mine):
            if not t.dtype.is_floating_point:  # step counters
                t.copy_(theirs[i])

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "updates": self.updates, "decay": self.decay}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.updates = int(state["updates"])
