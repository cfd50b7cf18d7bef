"""How many CPU threads torch may use: what the user asked for (``--threads``, else
``OMP_NUM_THREADS``), else the cores idle now, shared among the runs going at once.

torch's own default is one thread per core whatever else the machine runs. With another busy
process its threads wait on each other at every parallel region, so a step on a shared machine
can take many times as long as on the idle cores alone; the load average says how many are idle.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

ENV = "OMP_NUM_THREADS"


@dataclass(frozen=True)
class Threads:
    """A thread count and why it was chosen, for the line that says so."""

    count: int
    why: str
    asked: bool = False  # given by the user (flag or environment) rather than read from the machine

    def line(self, per: str = "") -> str:
        """``threads: 1 (1 of 2 cores idle; --threads N to change)``; ``per`` names the unit, e.g. "per run"."""
        unit = f" {per}" if per else ""
        hint = "" if self.asked else f"; --threads N{unit} to change"
        return f"threads: {self.count}{unit} ({self.why}{hint})"


def env_threads(value: str | None) -> int | None:
    """The thread count OMP_NUM_THREADS asks for, or None when it is unset, empty or not a positive
    number (OpenMP's nested form "4,2" asks for 4 at the outer level)."""
    first = (value or "").split(",")[0].strip()
    return int(first) if first.isdigit() and int(first) > 0 else None


def choose(cpu_count: int, load: float | None, env: str | None, requested: int | None = None,
           jobs: int = 1) -> Threads:
    """Threads per run for ``jobs`` runs at once on ``cpu_count`` cores whose 1-minute load average
    is ``load`` (None: unknown, taken as idle): ``requested`` (--threads) if given, else ``env``
    (OMP_NUM_THREADS) if it names a count, else the idle cores (at least one) over ``jobs``."""
    if requested is not None:
        return Threads(max(1, requested), "--threads", asked=True)
    from_env = env_threads(env)
    if from_env is not None:
        return Threads(from_env, f"{ENV}={from_env}", asked=True)
    cpus = max(1, cpu_count)
    idle = cpus if load is None else min(cpus, max(1, cpus - round(load)))
    why = f"{idle} of {cpus} cores idle" if idle < cpus else f"{cpus} core{'s' if cpus > 1 else ''}"
    if jobs > 1:
        why += f", shared by {jobs} runs at once"
    return Threads(max(1, idle // jobs), why)


def machine() -> tuple[int, float | None]:
    """The cores this process may run on and the 1-minute load average (None where unknown)."""
    try:
        cpus = len(os.sched_getaffinity(0))  # a taskset or a container's cpuset, not the whole host
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    try:
        load: float | None = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = None
    return cpus, load


def pick(requested: int | None = None, jobs: int = 1) -> Threads:
    """:func:`choose` for this machine, now."""
    cpus, load = machine()
    return choose(cpus, load, os.environ.get(ENV), requested, jobs)


def apply(count: int) -> None:
    """Set torch's intra-op threads, and its inter-op threads where torch still allows it."""
    import torch

    torch.set_num_threads(count)
    try:
        torch.set_num_interop_threads(count)
    except RuntimeError:  # refused once inter-op work has run in this process (e.g. a second command in it)
        pass


def use(requested: int | None = None, jobs: int = 1) -> Threads:
    """Pick the threads for this process and set them; returns the choice (to print)."""
    choice = pick(requested, jobs)
    apply(choice.count)
    return choice
