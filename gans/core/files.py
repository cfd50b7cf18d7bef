"""Writing files so that a crash never leaves a torn one, and checking a folder is writable first."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

from gans.core.errors import UserError


def write_atomic(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write`` on a temporary file in the same folder, fsync, then rename over the target.

    A crash at any point leaves either the old file or the complete new one, never a torn file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:  # make the rename itself durable
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def check_writable(folder: str | Path, flag: str = "--out") -> None:
    """Fail now if ``folder`` could not be created and written, without creating it: a probe file in
    its nearest existing ancestor (os.access says yes to root on read-only mounts)."""
    folder = Path(folder)
    probe = folder
    while not probe.exists():
        probe = probe.parent
    try:
        if not probe.is_dir():
            raise NotADirectoryError(20, "Not a directory")
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        raise UserError(f"output directory {folder} is not writable ({e.strerror}: {probe}); "
                        f"pass a writable {flag}") from None


def check_new_file(path: str | Path, flag: str, overwrite: bool = False) -> None:
    """An output file that must not silently replace one the user has: refuse before any work."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{flag} {path} is a folder; pass a file path")
    if path.exists() and not overwrite:
        raise UserError(f"{flag} {path} already exists; pass a new path, or --overwrite to replace it")
    check_writable(path.parent, flag)
