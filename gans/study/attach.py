"""Jobs a study started earlier and that still run: a driver started again (after Ctrl-C on the
login node, kill -9, a lost ssh session) waits on them instead of starting a second job into the
same run directory. SLURM's jobs outlive their driver by design; local ones outlive a driver that
stops or is killed, as processes of submitit's controller, but they share its terminal: a lost ssh
session hangs them up too unless the study was started under nohup or setsid (docs/usage.md)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from gans.core.errors import UserError
from gans.study.jobfiles import JobFiles

LOCAL_CONTROLLER = b"submitit.local._local"


def controller_alive(pid: int, jobs_dir: Path) -> bool:
    """Whether ``pid`` is a live submitit local controller of ``jobs_dir`` (not a reused pid, not a zombie)."""
    proc = Path(f"/proc/{pid}")
    try:
        cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    except (OSError, IndexError):  # no /proc here: the pid alone
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return state not in ("Z", "X") and LOCAL_CONTROLLER in cmdline and str(jobs_dir.absolute()).encode() in cmdline


class LocalProcessJob:
    """A local job started by an earlier driver, seen through its controller's pid and submitit's
    files: the same few methods the study uses of submitit's own job objects."""

    def __init__(self, jobs_dir: Path, job_id: str) -> None:
        from submitit.local.local import LocalJob

        self.jobs_dir, self.job_id = jobs_dir, job_id
        self._job = LocalJob(folder=jobs_dir, job_id=job_id)
        self._job._results_timeout_s = 2  # a local file system: the result is there or will not come

    @property
    def paths(self) -> Any:
        return self._job.paths

    def done(self) -> bool:
        return not controller_alive(int(self.job_id), self.jobs_dir)

    def result(self) -> Any:
        return self._job.result()


def live_job(executor: str, files: JobFiles) -> Any | None:
    """The run's job if it was started by this study's executor and still runs (or waits to), else
    None; a local job that still runs under a study continued with --executor slurm is refused."""
    found = files.job()
    if found is None:
        return None
    if found[0] != executor:  # a study continued with the other executor
        if found[0] == "local" and found[1].isdigit() and controller_alive(int(found[1]), files.jobs_dir):
            raise UserError(f"{files.run}'s local job (controller pid {found[1]}) still runs; a {executor} job would "
                            f"be a second writer into its run: wait for it to end, or stop it (kill -TERM {found[1]}), "
                            f"then continue with --executor {executor}")
        return None
    job_id = found[1]
    if executor == "local":
        if not job_id.isdigit() or not controller_alive(int(job_id), files.jobs_dir):
            return None
        return LocalProcessJob(files.jobs_dir, job_id)
    import submitit

    job = submitit.SlurmJob(folder=files.jobs_dir, job_id=job_id)
    return None if job.done(force_check=True) else job


def attach_running(executor: str, names: list[str], jobs_dir: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """The jobs an earlier driver of this study started that still run (or wait to), by run name."""
    found = {}
    for name in names:
        job = live_job(executor, JobFiles(jobs_dir, name))
        if job is not None:
            found[name] = job
            say(f"re-attached to {name}: its job {job.job_id} is still running")
    return found
