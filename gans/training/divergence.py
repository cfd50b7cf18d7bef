"""Divergence: a non-finite loss or weight stops the run, naming the last good checkpoint, or (with
--rollback N) reloads that checkpoint at half the learning rate, up to N times."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import torch

from gans.config import TrainConfig
from gans.core.errors import Diverged
from gans.runs import checkpoint as ckpt_io
from gans.runs.runlog import RunLog


class Guarded(Protocol):
    """What these checks use of the trainer (a protocol, so this module needs no import of it)."""

    cfg: TrainConfig
    G: torch.nn.Module
    D: torch.nn.Module
    diverged: torch.Tensor  # set on device by the steps, read here only when due (a host sync)
    step: int
    last_path: Path | None
    lr_scale: float
    rollbacks: int

    def say(self, line: str) -> None: ...
    def load_state_dict(self, state: dict[str, Any], path: str | Path) -> None: ...


def check_finite(trainer: Guarded, weights: bool = False) -> None:
    bad = bool(trainer.diverged)
    if weights and not bad:
        bad = not all(torch.isfinite(p).all() for p in (*trainer.G.parameters(), *trainer.D.parameters()))
    if bad:
        where = f"last good checkpoint: {trainer.last_path}" if trainer.last_path else "no checkpoint was written yet"
        raise Diverged(f"training diverged (non-finite loss or weight) by step {trainer.step}; {where}; "
                       "lower --lr, or pass --rollback N to reload it at half the learning rate")


def roll_back(trainer: Guarded, error: Diverged, log: RunLog, bar) -> None:
    """Reload the last good checkpoint at half the learning rate, or raise ``error`` when out of rollbacks."""
    if trainer.rollbacks >= trainer.cfg.rollback or trainer.last_path is None:
        raise error
    lr_scale = trainer.lr_scale * 0.5
    trainer.load_state_dict(ckpt_io.load_checkpoint(trainer.last_path), trainer.last_path)
    trainer.lr_scale, trainer.rollbacks = lr_scale, trainer.rollbacks + 1
    trainer.diverged.zero_()
    log.trim(trainer.step)
    bar.reset(total=trainer.cfg.steps)
    bar.update(trainer.step)
    trainer.say(f"diverged: rolled back to {trainer.last_path.name} (step {trainer.step}), "
                f"learning rate x{trainer.lr_scale:g}")
