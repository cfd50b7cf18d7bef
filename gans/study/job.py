"""A study's job as submitit runs it: one run trained (or resumed) and scored, requeued on a time
limit or a preemption.

submitit has SLURM send the job its preemption signal (USR2 unless SUBMITIT_PREEMPT_SIGNAL says
otherwise) some time before the time limit, and its local executor before ``timeout_min``. During
training the trainer takes that signal (gans.core.signals): it finishes the step, writes a
checkpoint and stops; the job then hands over to submitit's own handler, which calls
:meth:`RunJob.checkpoint` and requeues the job. Outside training submitit's handler runs at once.
Either way the requeued job resumes from the run's own checkpoints, so the job needs no state of its
own beyond how often it was requeued. SLURM preempts with SIGTERM: the trainer saves, and the job
waits for SLURM to kill and requeue it (see _wait_to_be_killed).
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any, Callable

import submitit

from gans.core.errors import Interrupted
from gans.core.signals import preemption_signal
from gans.study.jobfiles import JobFiles


class RunJob(submitit.helpers.Checkpointable):
    """``RunJob(work, cfg, study_toml, threads, jobs_dir)()`` is ``work(cfg, study_toml, threads)``
    (gans.study.train_and_score.run_job: train or resume one run, then score it), requeued when stopped by
    the cluster; picklable (``work`` by its module and name)."""

    def __init__(self, work: Callable[[dict[str, Any], str, int], dict[str, Any]], cfg_dict: dict[str, Any],
                 study_toml: str, threads: int, jobs_dir: str) -> None:
        self.work, self.cfg_dict, self.study_toml, self.threads, self.jobs_dir = work, cfg_dict, study_toml, threads, jobs_dir
        self.requeues = 0

    @property
    def files(self) -> JobFiles:
        return JobFiles(Path(self.jobs_dir), Path(self.cfg_dict["out"]).name)

    def __call__(self) -> dict[str, Any]:
        if self.requeues:  # counted here, once running again: submitit asks for checkpoint() also when it then gives up
            self.files.write_requeues(self.requeues)
        try:
            return self.work(self.cfg_dict, self.study_toml, self.threads)
        except Interrupted as e:
            if e.signum == preemption_signal():
                self._hand_over_to_submitit()
            elif e.signum == signal.SIGTERM and os.environ.get("SUBMITIT_EXECUTOR") == "slurm":
                self._wait_to_be_killed()
            raise  # SIGINT (a cancelled local job), or SIGTERM elsewhere: failed, with its checkpoint saved

    def _hand_over_to_submitit(self) -> None:
        """The trainer has saved and stopped: run submitit's handler now, as if the signal had just
        come (it calls checkpoint(), then requeues and exits, or raises when out of requeues)."""
        sig = preemption_signal()
        handler = signal.getsignal(sig)
        if not callable(handler):  # not inside a submitit job (called directly)
            return
        for s in (sig, signal.SIGTERM):  # the cluster's follow-up signals would re-enter it
            signal.signal(s, signal.SIG_IGN)
        handler(sig, None)

    @staticmethod
    def _wait_to_be_killed(limit_s: float = 600) -> None:
        """SLURM follows SIGTERM with SIGKILL (after KillWait, or a preemption's GraceTime) and
        requeues a preempted job itself, as submitit expects when it ignores SIGTERM. The checkpoint
        is saved: ending now would record a failure that the requeued job then contradicts. The
        preemption signal, if it comes meanwhile, requeues through submitit's handler."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            time.sleep(1)

    def checkpoint(self, *args: Any, **kwargs: Any) -> submitit.helpers.DelayedSubmission:
        """Called by submitit before it requeues this job: the run's checkpoints hold the state,
        so the job resubmits itself unchanged, but for the count the study shows."""
        self.requeues += 1
        return submitit.helpers.DelayedSubmission(self)
