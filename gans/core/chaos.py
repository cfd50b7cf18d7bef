"""Named points where a test can kill the process, to prove that a kill at that moment loses nothing.

``GANS_CHAOS="PATTERN@N"`` (several joined by commas) SIGKILLs this process the Nth time it passes a
point whose name matches PATTERN (fnmatch: ``write:ckpt_*.pt@2``); ``GANS_CHAOS_KILL=group`` kills
its whole process group instead (a study's driver and every job at once, as a power cut would).
A point costs one environment lookup when the variable is unset, which is always outside tests.
"""
from __future__ import annotations

import fnmatch
import os
import signal
from collections import Counter
from dataclasses import dataclass

ENV, SCOPE_ENV = "GANS_CHAOS", "GANS_CHAOS_KILL"
_hits: Counter = Counter()


@dataclass(frozen=True)
class KillAt:
    pattern: str
    count: int


def parse(text: str) -> list[KillAt]:
    """``"write:ckpt_*.pt@2,evaluate"`` -> the points and the passage (default the first) to kill at."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        pattern, at, count = part.rpartition("@") if "@" in part else (part, "", "1")
        if not pattern or not count.isdigit() or int(count) < 1:
            raise ValueError(f"{ENV}={text!r}: {part!r} is not PATTERN@N with N >= 1")
        out.append(KillAt(pattern, int(count)))
    return out


def point(name: str) -> None:
    """Die here if GANS_CHAOS names this point and this is the passage it names."""
    text = os.environ.get(ENV)
    if not text:
        return
    for kill in parse(text):
        if fnmatch.fnmatchcase(name, kill.pattern):
            _hits[kill.pattern] += 1
            if _hits[kill.pattern] == kill.count:
                if os.environ.get(SCOPE_ENV) == "group":
                    os.killpg(os.getpgid(0), signal.SIGKILL)
                os.kill(os.getpid(), signal.SIGKILL)
