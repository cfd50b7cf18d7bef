"""SIGTERM / SIGINT during training: finish the step, save, and exit; a second one aborts."""
from __future__ import annotations

import signal
import threading
from typing import Any, Callable


class StopSignals:
    """Record SIGTERM/SIGINT instead of dying mid-step; restore the old handlers on exit.

    ``say`` acknowledges the first signal at once, so a user pressing Ctrl-C knows it was heard.
    """

    def __init__(self, say: Callable[[str], None] = print) -> None:
        self.signum = 0
        self.say = say
        self._old: dict[int, Any] = {}

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum:  # a second signal: the user insists
            raise KeyboardInterrupt
        self.signum = signum
        self.say(f"{signal.Signals(signum).name}: stopping after this step and saving a checkpoint "
                 "(send it again to abort without saving)")

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
