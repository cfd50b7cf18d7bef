"""What a run says as it starts: one line with what trains where, with how many threads, into which
folder, for how many steps and, once its first steps are timed, about how long it will take; and,
before a CPU run whose size promises hours, a warning naming the flags that shrink it."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import torch

from gans.config import TrainConfig, flag
from gans.core.duration import duration

# Seconds per generator step of the paper-sized network (width 1, batch 64, 32 px, one critic step)
# on a 2-core CPU, and the fixed cost of a step however small: the scale of the warning, not a
# forecast (the start line's time is measured)
CPU_STEP_S = 1.2
CPU_STEP_OVERHEAD_S = 0.05
WARN_AFTER_S = 3600


def cpu_seconds(cfg: TrainConfig, steps: int) -> float:
    """A rough CPU time for ``steps`` generator steps: the convolutions' work grows with the square of
    the width and of the image side, with the batch, and with the critic steps (each a forward and
    backward of the critic and a forward of the generator, about half a generator step's work)."""
    work = cfg.width ** 2 * (cfg.image_size / 32) ** 2 * (cfg.batch_size / 64) * (1 + cfg.n_critic) / 2
    return steps * (CPU_STEP_S * work + CPU_STEP_OVERHEAD_S)


def cpu_warning(cfg: TrainConfig, device: torch.device, first_step: int = 0) -> str | None:
    """A one-line warning when a CPU run's size suggests more than an hour, else None."""
    steps = cfg.steps - first_step
    seconds = cpu_seconds(cfg, steps)
    if device.type != "cpu" or seconds <= WARN_AFTER_S:
        return None
    return (f"note: {steps:,} steps at {flag('width')} {cfg.width:g} on the CPU will take hours (roughly "
            f"{duration(seconds)}); shrink the run with {flag('steps')} N or {flag('width')} 0.25, or train on a GPU "
            "(`gans quickstart` shows learning in minutes)")


class StartLine:
    """Times a run's first steps, then gives its start line once:
    "training sngan on cpu (2 threads) -> runs/x, 1,500 steps, ~4 min"."""

    def __init__(self, cfg: TrainConfig, device: torch.device, run_dir: Path, first_step: int, world: int = 1,
                 threads: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg, self.device, self.run_dir, self.first, self.world = cfg, device, run_dir, first_step, world
        self.threads = torch.get_num_threads() if threads is None else threads
        self.clock = clock
        # timed over the first log period (or the whole run, when shorter)
        self.timed_steps = max(1, min(cfg.log_every, cfg.steps - first_step))
        self.start = clock()
        self.said = False

    def text(self, total_s: float | None = None) -> str:
        cfg = self.cfg
        cpu = "" if self.device.type == "cpu" else "CPU "
        where = f"{self.device} ({self.threads} {cpu}thread{'s' if self.threads != 1 else ''}"
        where += f", {self.world} processes)" if self.world > 1 else ")"
        steps = f"{cfg.steps:,} steps" if self.first == 0 else f"steps {self.first:,} to {cfg.steps:,}"
        eta = f", ~{duration(total_s)}" if total_s is not None else ""
        return f"training {cfg.system} on {where} -> {self.run_dir}, {steps}{eta}"

    def after(self, step: int) -> str | None:
        """The line, once the timed steps are done (None before that and after it was given)."""
        done = step - self.first
        if self.said or done < self.timed_steps:
            return None
        self.said = True
        return self.text((self.clock() - self.start) / done * (self.cfg.steps - self.first))
