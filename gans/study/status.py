"""Where each run of a study stands, as `gans study` shows it."""
from __future__ import annotations

from dataclasses import dataclass

STATES = ("to run", "running", "done", "failed")


@dataclass
class RunStatus:
    run: str
    state: str  # one of STATES
    requeues: int = 0  # times its job was requeued (time limit or preemption)
    detail: str = ""  # its numbers when done, its error in one line when failed

    def line(self) -> str:
        """e.g. "sngan-seed0: done, requeued 2 times (step 2000, FID 31.20, 812 s of training in this job)"."""
        requeued = f", requeued {self.requeues} time{'s' if self.requeues != 1 else ''}" if self.requeues else ""
        return f"{self.run}: {self.state}{requeued}" + (f" ({self.detail})" if self.detail else "")
