"""Errors a user can fix. The CLI prints them as one line and exits with code 2."""
from __future__ import annotations

import signal
from pathlib import Path



class UserError(Exception):
    """Bad input: the message names the problem and the fix, in one line."""


class Diverged(UserError):
    """A non-finite loss or weight; the message names the step and the last good checkpoint."""


class Interrupted(Exception):
    """SIGTERM/SIGINT arrived; the current step finished and a checkpoint was saved."""

    def __init__(self, signum: int, step: int, path: Path | None) -> None:
        name = signal.Signals(signum).name
        super().__init__(f"stopped by {name} after step {step}; checkpoint saved to {path}; "
                         f"continue with: gans train --resume {path.parent.parent if path else '...'}")
        self.signum = signum
