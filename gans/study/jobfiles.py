"""What a study keeps about each run's job, beside submitit's own files in STUDY/jobs/:

    RUN.jobid      "EXECUTOR JOB_ID" of the run's latest job (written by the driver at submission)
    RUN.requeues   how often that job was requeued (written by the job, before each requeue)
    controllers.err  local jobs' controllers' own stderr (gans.study.executor.submit)

so a driver started again finds the jobs still running and waits on them instead of starting a
second writer, and shows how often each was requeued."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gans.core.files import write_atomic

CONTROLLER_LOG = "controllers.err"


@dataclass(frozen=True)
class JobFiles:
    jobs_dir: Path
    run: str

    @property
    def jobid_file(self) -> Path:
        return self.jobs_dir / f"{self.run}.jobid"

    @property
    def requeues_file(self) -> Path:
        return self.jobs_dir / f"{self.run}.requeues"

    def job(self) -> tuple[str, str] | None:
        """(executor, job id) of the run's latest job, if one was submitted."""
        try:
            executor, _, job_id = self.jobid_file.read_text().strip().partition(" ")
        except OSError:
            return None
        return (executor, job_id) if job_id else None

    def submitted(self, executor: str, job_id: str) -> None:
        """A new job for the run: its id, and no requeues yet."""
        self.requeues_file.unlink(missing_ok=True)
        write_atomic(self.jobid_file, lambda f: f.write(f"{executor} {job_id}\n".encode()))

    def requeues(self) -> int:
        try:
            return int(self.requeues_file.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def write_requeues(self, n: int) -> None:
        write_atomic(self.requeues_file, lambda f: f.write(f"{n}\n".encode()))
