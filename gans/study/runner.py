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
"""
from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any, Callable

from gans.runs import checkpoint as ckpt_io
from gans.config import TrainConfig
from gans.study.spec import STUDY_FILE, Study, protocol_of, run_configs
from gans.study.status import RunStatus
from gans.core.errors import UserError
from gans.core.threads import ENV as THREADS_ENV, Threads, apply as apply_threads, choose, machine

def is_done(cfg: TrainConfig) -> bool:
    """Trained to its step count and scored at that step."""
    latest = ckpt_io.latest(cfg.out)
    report = Path(cfg.out) / "eval.json"
    if latest is None or not report.is_file():
        return False
    step = int(latest.stem.split("_")[1])
    try:
        scored = {r["step"] for r in json.loads(report.read_text())["results"]}
    except (json.JSONDecodeError, KeyError, TypeError):
        return False
    return step >= cfg.steps and step in scored


def run_job(cfg_dict: dict[str, Any], study_toml: str, threads: int) -> dict[str, Any]:
    """One job: train (or resume) a run, then score its final checkpoint into eval.json, and its
    step-0 checkpoint (the untrained generator) beside it when pruning has kept it: the baseline
    that says whether a run learned at all (`gans compare`'s FID / untrained)."""
    from gans.core import chaos
    from gans.core.files import remove_stale_temporaries
    from gans.runs.lock import lock_run
    from gans.runs.scoring import score_checkpoints, write_to_runs
    from gans.config import from_dict
    from gans.eval.scoring import prepare, report
    from gans.runs.networks import pick_device
    from gans.training.launch import train_or_resume

    apply_threads(threads)
    cfg = from_dict(cfg_dict)
    lock_run(cfg.out)  # one writer per run: a second job into it (two drivers, a stale requeue) stops here
    for folder in (Path(cfg.out), Path(cfg.out) / ckpt_io.CKPT_DIR):  # writes cut off by a kill (eval.json, best.pt)
        remove_stale_temporaries(folder)
    study = Study.from_toml(study_toml, STUDY_FILE)
    t0 = time.perf_counter()
    last = train_or_resume(cfg, progress=False)
    train_s = time.perf_counter() - t0
    protocol = protocol_of(study, cfg)
    weights = study.eval.get("inception_weights") or cfg.inception_weights or None
    batch = study.eval.get("batch_size", 100)
    inception, ref = prepare(protocol, weights, pick_device(cfg.device), cfg.data_dir, None, batch, progress=False)
    chaos.point("evaluate")
    first = [p for step, p in ckpt_io.list_checkpoints(cfg.out) if step == 0 and p != Path(last)]
    score = lambda paths: score_checkpoints(paths, protocol, inception, ref, cfg.device, batch, progress=False)
    cache = Path(cfg.out).parent.parent / UNTRAINED
    untrained = [untrained_result(first[0], (protocol, weights), score, cache)] if first else []
    results = untrained + score([last])
    write_to_runs(report(protocol, inception, ref, results))
    s = results[-1].summary
    return {"run": cfg.run_name, "step": results[-1].step, "fid": s.fid, "kid": s.kid_mean, "precision": s.precision,
            "recall": s.recall, "density": s.density, "coverage": s.coverage, "train_s": train_s}


UNTRAINED = "untrained"  # OUT/untrained/KEY.json: step-0 scores shared by runs with the same untrained generator


def untrained_result(path: Path, scored_by: Any, score: Callable[[list[Path]], list], cache: Path) -> Any:
    """The step-0 checkpoint's result. The untrained generator depends on the seed, the init and the
    generator's flags, not on the critic, so the study's systems share it seed by seed: it is scored
    once, kept in ``cache`` under a hash of the generator's weights and ``scored_by`` (the protocol and
    Inception weights), and relabelled for each run that has it (``score``: score_checkpoints with the
    job's Inception and reference)."""
    import dataclasses
    import hashlib

    from gans.core.files import write_atomic
    from gans.eval.records import Result
    from gans.runs.sampling import uses_ema

    state = ckpt_io.load_checkpoint(path)
    weights = state["G_ema"]["model"] if uses_ema(state, True) else state["G"]
    h = hashlib.sha256(repr(scored_by).encode())
    for k in sorted(weights):
        h.update(k.encode() + repr(tuple(weights[k].shape)).encode())
        h.update(weights[k].detach().cpu().contiguous().numpy().tobytes())
    keyed = cache / f"{h.hexdigest()[:20]}.json"
    if keyed.exists():
        try:
            kept = Result.from_json(json.loads(keyed.read_text()))
        except (json.JSONDecodeError, KeyError, TypeError):
            kept = None  # a torn cache file: score again
        if kept is not None:
            from gans.runs.scoring import checkpoint_labels

            return dataclasses.replace(kept, **checkpoint_labels(path, state))
    result = score([path])[0]
    text = json.dumps(result.to_json()).encode()
    write_atomic(keyed, lambda f: f.write(text))
    return result


def error_line(text: str, fallback: str) -> str:
    """The last 'SomeError: message' line of a job's traceback (submitit wraps it in its own)."""
    found = re.findall(r"^(?:[\w.]+\.)?(\w*(?:Error|Exception|Interrupt|Interrupted)): (.+)$", text, flags=re.M)
    return (f"{found[-1][0]}: {found[-1][1]}" if found else fallback)[:300]


def _executor(study: Study, folder: Path, threads: int):
    import submitit

    if study.executor == "slurm":
        ex = submitit.AutoExecutor(folder=folder, cluster="slurm", slurm_max_num_timeout=study.max_requeues)
        ex.update_parameters(timeout_min=study.timeout_min, cpus_per_task=threads,
                             **{f"slurm_{k.replace('-', '_').removeprefix('slurm_')}": v for k, v in study.slurm.items()})
    else:
        ex = submitit.LocalExecutor(folder=folder, max_num_timeout=study.max_requeues)
        gpus = 1 if os.environ.get("CUDA_VISIBLE_DEVICES", "") != "" or _has_cuda() else 0
        ex.update_parameters(timeout_min=study.timeout_min, gpus_per_node=gpus)
    return ex


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def job_threads(study: Study, requested: int | None = None) -> Threads:
    """Threads per run: ``requested`` (--threads), else OMP_NUM_THREADS, else this machine's idle
    cores split among ``study.jobs`` runs at once. A SLURM job runs on another node, whose load this
    machine cannot see: its share is of the cores alone."""
    cpus, load = machine()
    return choose(cpus, None if study.executor == "slurm" else load, os.environ.get(THREADS_ENV), requested, study.jobs)


def run_study(out: Path, study: Study, say: Callable[[str], None] = print, threads: int | None = None) -> dict[str, Path]:
    """Run what is not done yet, at most ``study.jobs`` at once, then write the report. ``threads``:
    each run's CPU threads (--threads; default: :func:`job_threads`)."""
    from gans.analysis.compare import compare
    from gans.core.files import check_writable, write_atomic
    from gans.runs.lock import lock_run
    from gans.runs.networks import pick_device
    from gans.study.preflight import check_inputs, evaluation_estimate
    from gans.study.references import prepare_references

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
        attached = _attach(study, todo, out / "jobs", say)  # first: a job that is still running keeps going meanwhile
        estimate = evaluation_estimate(study, todo)
        if estimate:
            say(estimate)
        per_run = job_threads(study, threads)
        say(per_run.line("per run"))
        apply_threads(per_run.count)  # the driver's own reference pass is one more run's work
        prepare_references(study, [c for c in todo if c.run_name not in attached], say)
        statuses = _run_jobs(study, todo, attached, out / "jobs", lambda: _executor(study, out / "jobs", per_run.count),
                             per_run.count, say)
        now = {s.run: s for s in statuses}
        say("runs:\n" + "\n".join(f"  {now.get(c.run_name, RunStatus(c.run_name, 'done', detail='earlier')).line()}"
                                   for c in cfgs))
        failed = [s for s in statuses if s.state == "failed"]
        if failed:
            raise UserError(f"{len(failed)} of {len(todo)} runs failed ({'; '.join(f'{s.run}: {s.detail}' for s in failed)}); "
                            f"fix the cause and run `gans study --out {out}` again to retry them")
    written = compare([Path(c.out) for c in cfgs], out / "report")
    say(f"report: {out / 'report' / 'report.html'}")
    return written


def _outcome(job, cfg: TrainConfig, study: Study) -> tuple[bool, str]:
    """(succeeded, the run's line): its numbers, or its error in one line with where its log is."""
    from submitit.core.utils import FailedJobError, UncompletedJobError

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
    return True, f"step {r['step']}, FID {r['fid']:.2f}, trained in {r['train_s']:.0f} s"


def _attach(study: Study, todo: list[TrainConfig], jobs_dir: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """The jobs an earlier driver of this study started that still run (or wait to), by run name."""
    from gans.study.attach import live_job
    from gans.study.jobfiles import JobFiles

    found = {}
    for cfg in todo:
        job = live_job(study.executor, JobFiles(jobs_dir, cfg.run_name))
        if job is not None:
            found[cfg.run_name] = job
            say(f"re-attached to {cfg.run_name}: its job {job.job_id} is still running")
    return found


def _run_jobs(study: Study, todo: list[TrainConfig], attached: dict[str, Any], jobs_dir: Path,
              make_executor: Callable[[], Any], threads: int, say: Callable[[str], None]) -> list[RunStatus]:
    """Wait on the ``attached`` jobs and start the others, at most ``study.jobs`` in flight
    (submitit's local executor starts every job it is given at once); cancel them all on Ctrl-C or
    SIGTERM so no job outlives the study."""
    from gans.core import chaos
    from gans.core.signals import StopSignals
    from gans.study.job import RunJob
    from gans.study.jobfiles import JobFiles

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
        try:
            while pending or running:
                while pending and len(running) < study.jobs and not stop.signum:
                    cfg = pending.pop(0)
                    executor = executor or make_executor()
                    job = executor.submit(RunJob(run_job, cfg.to_dict(), toml, threads, str(jobs_dir)))
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
                    ok, status.detail = _outcome(job, cfg, study)
                    status.state = "done" if ok else "failed"
                    say(f"[{finished}/{len(todo)}] {cfg.run_name}" + (f": {status.detail}" if ok else f" FAILED: {status.detail}"))
                time.sleep(0.5)
        except KeyboardInterrupt:
            for job in running:
                job.cancel(check=False)
            raise UserError(f"study stopped; {len(running)} running job(s) cancelled at their last checkpoint; "
                            "run the same command again to continue") from None
    return list(statuses.values())
