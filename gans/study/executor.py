"""Where a study's jobs run (submitit's local executor on this machine, or SLURM) and with how many
CPU threads each."""
from __future__ import annotations

import os
from pathlib import Path

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


def job_threads(study: Study, requested: int | None = None) -> Threads:
    """Threads per run: ``requested`` (--threads), else OMP_NUM_THREADS, else this machine's idle
    cores split among ``study.jobs`` runs at once. A SLURM job runs on another node, whose load this
    machine cannot see: its share is of the cores alone."""
    cpus, load = machine()
    return choose(cpus, None if study.executor == "slurm" else load, os.environ.get(THREADS_ENV), requested, study.jobs)
