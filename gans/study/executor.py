"""Where a study's jobs run (submitit's local executor on this machine, or SLURM) and with how many
CPU threads each."""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any, Iterator

import submitit
import torch

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
    """``executor.submit(job)``. A local job's controller process inherits the driver's stderr, and on
    Ctrl-C (its cancel is a SIGINT) it printed a KeyboardInterrupt traceback under the study's one-line
    stop message: its stderr goes to ``controller_log`` instead (the job's own output has its log files)."""
    if not isinstance(executor, submitit.LocalExecutor):
        return executor.submit(job)
    with _stderr_to(controller_log):
        return executor.submit(job)


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
