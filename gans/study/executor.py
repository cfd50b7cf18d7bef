"""Where a study's jobs run (submitit's local executor on this machine, or SLURM) and with how many
CPU threads each."""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import submitit
import torch

from gans.core.errors import UserError
from gans.core.threads import ENV as THREADS_ENV, Threads, choose, machine
from gans.study.spec import Study


def make_executor(study: Study, folder: Path, threads: int) -> submitit.Executor:
    """The study's executor, its job files and logs in ``folder``, ``threads`` CPUs per job."""
    if study.executor == "slurm":
        ex = submitit.AutoExecutor(folder=folder, cluster="slurm", slurm_max_num_timeout=study.max_requeues)
        ex.update_parameters(timeout_min=study.timeout_min, cpus_per_task=threads,
                             **{f"slurm_{k.replace('-', '_').removeprefix('slurm_')}": v for k, v in study.slurm.items()})
    else:
        ex = submitit.LocalExecutor(folder=folder, max_num_timeout=study.max_requeues)
        gpus = 1 if os.environ.get("CUDA_VISIBLE_DEVICES", "") != "" or torch.cuda.is_available() else 0
        ex.update_parameters(timeout_min=study.timeout_min, gpus_per_node=gpus)
    return ex


def submit(executor: submitit.Executor, job: Any, controller_log: Path) -> submitit.Job:
    """``executor.submit(job)``. A local job's controller process starts with SIGINT ignored: on a
    SIGINT (a terminal's Ctrl-C reaches the whole process group) submitit's controller SIGINTs its task
    again and SIGKILLs it a second later, so a run whose step takes longer than that lost every step
    since its last periodic checkpoint (370 steps of two search runs, 2026-12-05). The task takes SIGINT
    as the trainer sets it; the driver stops a job with SIGTERM (:func:`stop_job`). The controller's stderr
    goes to ``controller_log`` (the job's own output has its log files)."""
    if not isinstance(executor, submitit.LocalExecutor):
        try:
            return executor.submit(job)
        except submitit.core.utils.FailedJobError as e:  # sbatch said no: its reason, not a traceback
            reason = next((ln.strip() for ln in str(e).splitlines() if ln.strip()), "no reason given")
            raise UserError(f"sbatch refused the job: {reason}; check the study's [slurm] table (partition, "
                            "account, time, ...) against `sinfo` and your cluster's limits") from None
    with _stderr_to(controller_log), _sigint_ignored():
        return executor.submit(job)


def stop_job(job: Any, executor: str) -> None:
    """Ask a running job to finish its step, save a checkpoint and end. A local job: SIGTERM to its
    controller, which passes it to the task and waits for it (a task still scoring finishes that
    first; but a Ctrl-C at the terminal also reaches the task itself, and one that is scoring then
    stops, so its scoring is done again on the next start). SLURM: scancel, whose SIGTERM the trainer
    takes the same way."""
    if executor != "local":
        job.cancel(check=False)
        return
    try:
        os.kill(int(job.job_id), signal.SIGTERM)
    except (ProcessLookupError, ValueError):
        pass  # ended already


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while a child process starts (it keeps that disposition across exec, and Python
    then installs no KeyboardInterrupt for it). A Ctrl-C in these milliseconds is lost."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """File descriptor 2 points at ``path`` (appended) while a child process is started, then back."""
    sys.stderr.flush()
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = os.dup(2)
    with open(path, "ab") as f:
        os.dup2(f.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def job_threads(study: Study, requested: int | None = None) -> Threads:
    """Threads per run: ``requested`` (--threads), else OMP_NUM_THREADS, else this machine's idle
    cores split among ``study.jobs`` runs at once. A SLURM job runs on another node, whose load this
    machine cannot see: its share is of the cores alone."""
    cpus, load = machine()
    return choose(cpus, None if study.executor == "slurm" else load, os.environ.get(THREADS_ENV), requested, study.jobs)
