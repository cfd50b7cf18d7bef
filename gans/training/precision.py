"""Mixed precision for the training step: autocast around G and D, and a gradient scaler for fp16.

What stays in fp32: the weights and optimizer state (autocast only lowers the precision of the ops
it runs), the spectral norm's power iteration (its parametrization turns autocast off), MSN's batch
mean, and the gradient penalty's norm (the penalty's input gradients are fp32). With fp16 the
penalty's inner gradient is taken of the scaled critic output and unscaled after, as PyTorch's AMP
recipe for gradient penalties does, so small gradients do not underflow.
"""
from __future__ import annotations

import contextlib
from typing import Any

import torch

DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class Precision:
    def __init__(self, name: str, device: torch.device) -> None:
        self.name = name
        self.dtype = DTYPES[name]
        self.device_type = device.type
        # one scaler per optimizer: D and G take turns, each with its own backward
        self.scalers = ({k: torch.amp.GradScaler(device.type) for k in ("D", "G")} if name == "fp16" else {})
        self.overflowed = False  # a scaler skipped a step since take_overflow(): see step()

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor, which: str) -> None:
        (self.scalers[which].scale(loss) if self.scalers else loss).backward()

    def step(self, optimizer: torch.optim.Optimizer, which: str) -> None:
        if self.scalers:
            scaler = self.scalers[which]
            before = scaler.get_scale()
            scaler.step(optimizer)
            scaler.update()
            # The scaler lowers its scale exactly when it found a non-finite gradient and skipped the
            # step. Above a scale of 1 that is the scale's overflow (the penalty's inner gradient at the
            # first scale, 65536, is one), which the scaler handles; at or below 1 it is the run's own.
            self.overflowed |= scaler.get_scale() < before and before > 1.0
        else:
            optimizer.step()

    def take_overflow(self) -> bool:
        """Whether a scaler skipped an optimizer step for an fp16 overflow since the last call: that
        step's non-finite losses are the scale's, not a divergence."""
        overflowed, self.overflowed = self.overflowed, False
        return overflowed

    def penalty_scale(self) -> float:
        """The factor the penalty's inner gradient is taken at (fp16's loss scale, else 1)."""
        return float(self.scalers["D"].get_scale()) if self.scalers else 1.0

    def state_dict(self) -> dict[str, Any]:
        return {k: s.state_dict() for k, s in self.scalers.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for k, s in self.scalers.items():
            if k in state:
                s.load_state_dict(state[k])
