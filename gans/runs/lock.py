"""One writer per run directory: an flock on RUN/.lock, held by the process that writes the run.

The kernel drops the lock when its holder dies, however it dies (kill -9 included), so a lock is
never stale; the pid and host written inside only make the refusal say who holds it. Within one
process a directory already locked is simply held again (a study job locks its run, then trains it).
Network file systems: NFSv4 carries flock across hosts; Lustre needs its ``flock`` mount option.
"""
from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path

from gans.core.errors import UserError
from gans.runs.layout import LOCK_FILE
_held: dict[Path, int] = {}  # run directory -> the open descriptor that holds its lock


class RunLocked(UserError):
    """Another live process is writing this run."""


def holder(run_dir: str | Path) -> str:
    """Who the lock file says holds it: "pid N on HOST" (or what can be read of it)."""
    try:
        pid, _, host = (Path(run_dir) / LOCK_FILE).read_text().strip().partition(" ")
    except OSError:
        return "another process"
    return f"pid {pid} on {host}" if pid.isdigit() else "another process"


def lock_run(run_dir: str | Path) -> Path:
    """Hold ``run_dir``'s lock until this process exits (creating the folder); refuse with one line
    when another live process holds it. Returns the lock file."""
    run_dir = Path(run_dir).resolve()
    path = run_dir / LOCK_FILE
    if run_dir in _held:
        return path
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RunLocked(f"{run_dir} is being written by {holder(run_dir)}; wait for it or stop it") from None
    except BaseException:
        os.close(fd)
        raise
    # rewritten in place, never replaced: a new inode would be a second, separate lock
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
    _held[run_dir] = fd
    return path


def holds(run_dir: str | Path) -> bool:
    """Whether this process holds ``run_dir``'s lock."""
    return Path(run_dir).resolve() in _held


def unlock_run(run_dir: str | Path) -> None:
    """Let go early (tests, and processes that go on to other work); exiting does the same."""
    fd = _held.pop(Path(run_dir).resolve(), None)
    if fd is not None:
        os.close(fd)


def check_not_locked(run_dir: str | Path) -> None:
    """Refuse, as :func:`lock_run` would, when another live process holds ``run_dir``; take nothing."""
    run_dir = Path(run_dir).resolve()
    if run_dir in _held or not (run_dir / LOCK_FILE).is_file():
        return
    lock_run(run_dir)
    unlock_run(run_dir)
