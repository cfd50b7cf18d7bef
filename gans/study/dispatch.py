"""A study's jobs in flight: started at most ``study.jobs`` at a time, watched until they end, each
end told in one line, and all stopped together (each at a checkpoint) when the driver is stopped."""
from __future__ import annotations

import re
import signal
import time
from pathlib import Path
from typing import Any, Callable

from submitit.core.utils import FailedJobError, UncompletedJobError

from gans.config import TrainConfig
from gans.core import chaos
from gans.core.errors import UserError
from gans.core.signals import StopSignals
from gans.runs.layout import DIVERGED
from gans.study.executor import stop_job, submit
from gans.study.job import RunJob
from gans.study.jobfiles import CONTROLLER_LOG, JobFiles
from gans.study.progress import RUNNING_EVERY, run_progress
from gans.study.spec import Study
from gans.study.status import RunStatus
from gans.study.train_and_score import run_job


def error_line(text: str, fallback: str) -> str:
    """The last 'SomeError: message' line of a job's traceback (submitit wraps it in its own)."""
    found = re.findall(r"^(?:[\w.]+\.)?(\w*(?:Error|Exception|Interrupt|Interrupted)): (.+)$", text, flags=re.M)
    return (f"{found[-1][0]}: {found[-1][1]}" if found else fallback)[:300]


def outcome(job: Any, study: Study) -> tuple[bool, str]:
    """(succeeded, the run's line): its numbers, or its error in one line with where its log is."""
    log = job.paths.stderr
    try:
        r = job.result()
    except Exception as e:
        text = str(e)
        if isinstance(e, UncompletedJobError) and not isinstance(e, FailedJobError):
            return False, f"its job ended without a result (killed?); log: {log}"  # no result file at all
        if "timed-out too many times" in text:  # submitit's words, when out of requeues
            return False, (f"stopped by its time limit again after max-requeues = {study.max_requeues} requeues; "
                           f"raise timeout-min or max-requeues and run again (log: {log})")
        return False, f"{error_line(text, type(e).__name__)} (log: {log})"  # the job's own error
    if r.get("diverged"):
        return True, f"diverged, recorded in the run's {DIVERGED} ({r['diverged']})"
    # a job that resumed a run counts only its own time; one that found training done only scored
    trained = f"{r['train_s']:.0f} s of training in this job" if r["train_s"] >= 1 else "training done before this job"
    return True, f"step {r['step']}, FID {r['fid']:.2f}, {trained}"


def run_jobs(study: Study, todo: list[TrainConfig], attached: dict[str, Any], jobs_dir: Path,
             make_executor: Callable[[], Any], threads: int, say: Callable[[str], None]) -> list[RunStatus]:
    """Wait on the ``attached`` jobs and start the others, at most ``study.jobs`` in flight
    (submitit's local executor starts every job it is given at once); stop them all on Ctrl-C or
    SIGTERM, each at a checkpoint."""
    statuses = {c.run_name: RunStatus(c.run_name, "running" if c.run_name in attached else "to run") for c in todo}
    files = {c.run_name: JobFiles(jobs_dir, c.run_name) for c in todo}
    running = {attached[c.run_name]: c for c in todo if c.run_name in attached}
    pending, finished = [c for c in todo if c.run_name not in attached], 0
    executor = None
    toml = study.to_toml()
    # the driver's own stop signals: a cluster's preemption signal is for jobs, not for it
    with StopSignals(say=say, signals=(signal.SIGTERM, signal.SIGINT)) as stop:
        if running:
            say(f"waiting on {len(running)} running job(s), {len(pending)} to start; Ctrl-C stops them all "
                "at their last checkpoint")
        said_at = time.monotonic()
        try:
            while pending or running:
                while pending and len(running) < study.jobs and not stop.signum:
                    cfg = pending.pop(0)
                    executor = executor or make_executor()
                    job = submit(executor, RunJob(run_job, cfg.to_dict(), toml, threads, str(jobs_dir)),
                                 jobs_dir / CONTROLLER_LOG)
                    files[cfg.run_name].submitted(study.executor, str(job.job_id))
                    running[job] = cfg
                    statuses[cfg.run_name].state = "running"
                    say(f"started {cfg.run_name}")
                    chaos.point("submitted")
                if stop.signum:
                    raise KeyboardInterrupt
                for job, cfg in list(running.items()):
                    status = statuses[cfg.run_name]
                    requeues = files[cfg.run_name].requeues()
                    if requeues != status.requeues:
                        status.requeues = requeues
                        say(f"{cfg.run_name}: requeued {requeues} time{'s' if requeues != 1 else ''} "
                            "(time limit or preemption); it resumes from the checkpoint it saved")
                    if not job.done():
                        continue
                    del running[job]
                    finished += 1
                    ok, status.detail = outcome(job, study)
                    status.state = "done" if ok else "failed"
                    say(f"[{finished}/{len(todo)}] {cfg.run_name}" + (f": {status.detail}" if ok else f" FAILED: {status.detail}"))
                if running and time.monotonic() - said_at >= RUNNING_EVERY:  # minutes pass between run lines
                    said_at = time.monotonic()
                    say("running: " + "; ".join(run_progress(cfg) for cfg in running.values()))
                time.sleep(0.5)
        except KeyboardInterrupt:
            for job in running:
                stop_job(job, study.executor)
            raise UserError(f"study stopped; {len(running)} running job(s) told to finish their step (or their "
                            "scoring) and save a checkpoint; run the same command again to continue (it waits on "
                            "them)") from None
    return list(statuses.values())
