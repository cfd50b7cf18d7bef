"""`gans study`: train systems x seeds, score every run with `gans eval`'s engine, and write the
comparison report, from one TOML file (or flags).

Each run is one job handed to submitit: its local executor on this machine (at most ``jobs`` at
once, the CPU's threads shared among them), SLURM on a cluster. A run that finished and was scored
is skipped; one that stopped part-way resumes from its last checkpoint; so a killed study is
continued by running the same command again, which waits on the jobs still running rather than
starting them twice. A job stopped by its time limit or a preemption saves a checkpoint and is
requeued (gans.study.job). The study directory holds everything needed to repeat it:

    STUDY/study.toml          the resolved study (systems and their flags, seeds, train and eval settings)
    STUDY/runs/SYSTEM-seedN/  each run (config.toml, checkpoints, metrics, eval.json)
    STUDY/jobs/               submitit's job files and logs; RUN.jobid and RUN.requeues (gans.study.jobfiles)
    STUDY/report/             gans compare's table, plots and report.html
    STUDY/untrained/          the untrained generators' scores, shared by runs (gans.study.untrained)

This module is the driver; a job's own work is gans.study.train_and_score, the jobs in flight
gans.study.dispatch, where they run gans.study.executor.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from gans.analysis.compare import compare
from gans.config import TrainConfig
from gans.core.errors import UserError
from gans.core.files import check_writable, write_atomic
from gans.core.threads import apply as apply_threads
from gans.runs import checkpoint as ckpt_io
from gans.runs.eval_report import read_eval_report
from gans.runs.layout import RunLayout, step_of
from gans.runs.lock import lock_run
from gans.runs.networks import pick_device
from gans.study.attach import attach_running
from gans.study.dispatch import run_jobs
from gans.study.executor import job_threads, make_executor
from gans.study.preflight import check_inputs, evaluation_estimate
from gans.study.references import prepare_references
from gans.study.spec import STUDY_FILE, Study, run_configs
from gans.study.status import RunStatus
from gans.study.train_and_score import run_job  # noqa: F401 (jobs submitted before the split pickled it by this name)


def is_done(cfg: TrainConfig) -> bool:
    """Trained to its step count and scored at that step, or diverged (a retry would diverge again).
    A run scored at its last step stays done once its checkpoints are removed: training is
    deterministic, so they can be re-created, and a finished study can be kept, moved or continued
    elsewhere as its small files alone (config, logs, eval.json)."""
    if RunLayout(cfg.out).diverged.is_file():
        return True
    try:
        report = read_eval_report(cfg.out)
    except UserError:  # a torn or foreign eval.json: the job scores the run again
        return False
    if report is None:
        return False
    scored = {r.step for r in report.results if r.step is not None}
    latest = ckpt_io.latest(cfg.out)
    if latest is None:
        return any(step >= cfg.steps for step in scored)
    step = step_of(latest)
    return step >= cfg.steps and step in scored


def run_study(out: Path, study: Study, say: Callable[[str], None] = print, threads: int | None = None) -> dict[str, Path]:
    """Run what is not done yet, at most ``study.jobs`` at once, then write the report. ``threads``:
    each run's CPU threads (--threads; default: :func:`~gans.study.executor.job_threads`)."""
    study.check()
    cfgs = run_configs(study, out)
    check_inputs(study, cfgs)
    check_writable(out)
    lock_run(out)  # one driver per study; a second one is refused, one started again re-attaches to the jobs
    write_atomic(out / STUDY_FILE, lambda f: f.write(study.to_toml().encode()))
    todo = [c for c in cfgs if not is_done(c)]
    say(f"study {out}: {len(cfgs)} runs, {len(cfgs) - len(todo)} done, {len(todo)} to run, {study.jobs} at a time "
        f"({study.executor})")
    if todo:
        if study.executor == "local" and study.jobs > 1 and any(pick_device(c.device).type == "cuda" for c in todo):
            say(f"note: {study.jobs} runs at once take turns on one GPU, which is slower in total than "
                "one after another (measured on an H200); --jobs 1 on one GPU")
        # first: a job that is still running keeps going meanwhile
        attached = attach_running(study.executor, [c.run_name for c in todo], out / "jobs", say)
        estimate = evaluation_estimate(study, todo)
        if estimate:
            say(estimate)
        per_run = job_threads(study, threads)
        say(per_run.line("per run"))
        apply_threads(per_run.count)  # the driver's own reference pass is one more run's work
        prepare_references(study, [c for c in todo if c.run_name not in attached], say)
        statuses = run_jobs(study, todo, attached, out / "jobs", lambda: make_executor(study, out / "jobs", per_run.count),
                            per_run.count, say)
        now = {s.run: s for s in statuses}
        say("runs:\n" + "\n".join(f"  {now.get(c.run_name, RunStatus(c.run_name, 'done', detail='earlier')).line()}"
                                   for c in cfgs))
        failed = [s for s in statuses if s.state == "failed"]
        if failed:
            raise UserError(f"{len(failed)} of {len(todo)} runs failed ({'; '.join(f'{s.run}: {s.detail}' for s in failed)}); "
                            f"fix the cause and run `gans study --out {out}` again to retry them")
    written = compare([Path(c.out) for c in cfgs], out / "report", say=say)
    say(f"report: {out / 'report' / 'report.html'}")
    return written
