"""SIGTERM / SIGINT / a cluster's preemption signal during training: finish the step, save, and
exit; a second one aborts."""
from __future__ import annotations

import os
import signal
import threading
from typing import Any, Callable, Sequence


def preemption_signal() -> signal.Signals:
    """The signal submitit's jobs get before a time limit or a preemption: USR2 unless
    SUBMITIT_PREEMPT_SIGNAL names another (submitit's own setting, read without importing it)."""
    name = os.environ.get("SUBMITIT_PREEMPT_SIGNAL", "USR2")
    return getattr(signal, "SIG" + name, signal.SIGUSR2)


def training_signals() -> tuple[signal.Signals, ...]:
    return signal.SIGTERM, signal.SIGINT, preemption_signal()


class StopSignals:
    """Record SIGTERM/SIGINT (and the preemption signal) instead of dying mid-step; restore the old
    handlers on exit.

    ``say`` acknowledges the first signal at once, so a user pressing Ctrl-C knows it was heard.
    """

    def __init__(self, say: Callable[[str], None] = print, signals: Sequence[int] | None = None) -> None:
        self.signum = 0
        self.say = say
        self.signals = tuple(training_signals() if signals is None else signals)
        self._old: dict[int, Any] = {}

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for sig in self.signals:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum == signum:  # the same signal again: the user insists
            raise KeyboardInterrupt
        if self.signum:  # another one (a cluster sends SIGTERM, then USR2, to a preempted job): stopping already
            return
        self.signum = signum
        self.say(f"{signal.Signals(signum).name}: stopping after this step and saving a checkpoint "
                 "(send it again to abort without saving)")

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
