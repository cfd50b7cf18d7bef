"""``--cuda-graph``: which step ``Trainer.fit`` calls. Without the flag, or where the run's step cannot be
captured (one line says why), the trainer's own ``train_step``; with it, the static step
(:mod:`gans.training.static_step`): on CUDA captured after a few warm-up steps and replayed, and
without CUDA run eagerly, the same steps with the data and the EMA's count on the device.
"""
from __future__ import annotations

import torch

from gans.training.static_step import StaticStep, Stepping, capturable, ensure_capturable

WARMUP = 3  # eager steps before the capture: they give Adam its state and the allocator its blocks
NO_CUDA = "--cuda-graph: no CUDA device; the static step runs eagerly"


class TrainingStep:
    """One training step per call. Build it after the trainer's state is loaded (a resume) and call
    :meth:`reloaded` after each reload (a rollback): a graph keeps the learning rate and the optimizer
    state it was recorded with."""

    def __init__(self, trainer: Stepping) -> None:
        self.trainer = trainer
        self.static: StaticStep | None = None
        if trainer.cfg.cuda_graph:
            reason = capturable(trainer.cfg, trainer.ranks.world)
            cuda = trainer.device.type == "cuda"
            line = f"--cuda-graph: {reason}; the step runs eagerly, as without it" if reason else \
                None if cuda else NO_CUDA
            if line and trainer.ranks.main:
                trainer.say(line)
            if reason is None:
                self.static = StaticStep(trainer, WARMUP if cuda else None)
        self.reloaded()

    def __call__(self) -> dict[str, torch.Tensor]:
        """The step's detached losses; under a graph they are overwritten by the next step: read them first."""
        return self.static() if self.static else self.trainer.train_step()

    def reloaded(self) -> None:
        """After the trainer loaded a checkpoint: capture again, and (without graphs) turn off the
        capturable Adam a checkpoint written under graphs carries (eager CPU Adam refuses it)."""
        if self.static:
            self.static.reloaded()
        else:
            for opt in (self.trainer.opt_g, self.trainer.opt_d):
                ensure_capturable(opt, False)
