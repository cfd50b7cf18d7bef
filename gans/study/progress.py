"""Progress as log lines (a study's log has no terminal to draw a bar on): of a long pass every few
seconds, and of a study's running runs every few minutes."""
from __future__ import annotations

import time
from typing import Any, Callable

from gans.config import TrainConfig
from gans.core.duration import duration
from gans.runs.layout import RunLayout
from gans.runs.runlog import read_jsonl

__all__ = ["Progress", "duration", "run_progress"]
RUNNING_EVERY = 120.0  # seconds between a study's "running:" lines: a run takes minutes to hours


def run_progress(cfg: TrainConfig) -> str:
    """Where one running run is, from the last row of its metrics log: its step, rate and time left."""
    rows = read_jsonl(RunLayout(cfg.out).metrics)
    if not rows:
        return f"{cfg.run_name} starting"
    step, rate = rows[-1]["step"], rows[-1].get("steps_per_s")
    if step >= cfg.steps:
        return f"{cfg.run_name} trained, scoring"
    left = f", about {duration((cfg.steps - step) / rate)} left" if rate else ""
    return f"{cfg.run_name} at step {step:,}/{cfg.steps:,}" + (f" ({rate:.2f} steps/s{left})" if rate else "")


class Progress:
    """tqdm's ``update(n)`` as a line "WHAT: 1,200/50,000 images, 8.1 images/s, about 1.7 h left" at most
    every ``every`` seconds, and one at the end."""

    def __init__(self, total: int, what: str, say: Callable[[str], None], every: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.what, self.say, self.every, self.clock = total, what, say, every, clock
        self.done = 0
        self.start = self.last = clock()

    def update(self, n: int) -> None:
        self.done += n
        now = self.clock()
        if now - self.last >= self.every and self.done < self.total:
            self.last = now
            rate = self.done / max(now - self.start, 1e-9)
            self.say(f"{self.what}: {self.done:,}/{self.total:,} images, {rate:.1f} images/s, "
                     f"about {duration((self.total - self.done) / rate)} left")

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            elapsed = self.clock() - self.start
            self.say(f"{self.what}: {self.done:,} images in {duration(elapsed)} "
                     f"({self.done / max(elapsed, 1e-9):.1f} images/s)")
