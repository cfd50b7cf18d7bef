"""Writing files so that a crash never leaves a torn one, and checking a folder is writable first."""
from __future__ import annotations

import errno
import os
import secrets
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

from gans.core import chaos
from gans.core.errors import UserError

TEMP_GLOB = ".*.tmp"  # what write_atomic leaves behind when the process is killed mid-write


class WriteFailed(UserError, OSError):
    """A write the file system refused (disk full, quota, read-only): the previous file is intact and
    the temporary one removed. Still an OSError, so callers that can do without the file go on."""

    def __init__(self, path: Path, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause), str(path))
        if cause.errno in (errno.ENOSPC, errno.EDQUOT):
            fix = "free space"
        elif cause.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            fix = f"make {path.parent} writable"
        else:
            fix = "fix that"
        self.message = (f"could not write {path}: {self.strerror}; {fix} and run again to continue "
                        "from the last checkpoint")

    def __str__(self) -> str:
        return self.message


def write_atomic(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write`` on a temporary file in the same folder, fsync, then rename over the target.

    A crash at any point leaves either the old file or the complete new one, never a torn file; a
    write the file system refuses leaves the old file and no temporary one, and raises
    :class:`WriteFailed` naming the path and the cause in one line. Every file the toolkit writes
    for keeps (checkpoints, eval.json, study.toml, reports) goes through here.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temporary(path)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        chaos.point(f"write:{path.name}")  # a kill here leaves the temporary file and the old target
        os.replace(tmp, path)
        tmp = None
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:  # make the rename itself durable
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as e:
        if isinstance(e, WriteFailed):
            raise
        raise WriteFailed(path, e) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path``, opened for writing. Created with mode 0666 so the
    kernel applies the umask, as for any file a program creates (mkstemp's fixed 0600 would hide
    checkpoints and reports from the user's group whatever their umask says)."""
    while True:
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), tmp
        except FileExistsError:  # another writer's name: draw again
            continue


def remove_stale_temporaries(folder: str | Path) -> None:
    """Delete what write_atomic left in ``folder`` when a kill cut a write short. Only the process
    that holds the folder's lock may call this: another writer's temporary file is live."""
    for stale in Path(folder).glob(TEMP_GLOB):
        stale.unlink(missing_ok=True)


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
