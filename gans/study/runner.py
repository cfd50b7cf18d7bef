"""`gans study`: train systems x seeds, score every run with `gans eval`'s engine, and write the
comparison report, from one TOML file (or flags).

Each run is one job handed to submitit: its local executor on this machine (at most ``jobs`` at
once, the CPU's threads shared among them), SLURM on a cluster. A run that finished and was scored
is skipped; one that stopped part-way resumes from its last checkpoint; so a killed study is
continued by running the same command again. The study directory holds everything needed to
repeat it:

    STUDY/study.toml          the resolved study (systems and their flags, seeds, train and eval settings)
    STUDY/runs/SYSTEM-seedN/  each run (config.toml, checkpoints, metrics, eval.json)
    STUDY/jobs/               submitit's job files and logs
    STUDY/report/             gans compare's table, plots and report.html
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from pathlib import Path
from typing import Any, Callable

from gans.runs import checkpoint as ckpt_io
from gans.config import TrainConfig
from gans.study.spec import STUDY_FILE, Study, protocol_of, run_configs
from gans.core.errors import UserError

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
    """One job: train (or resume) a run, then score its final checkpoint into eval.json."""
    import torch

    from gans.runs.scoring import score_checkpoints, write_to_runs
    from gans.config import from_dict
    from gans.eval.scoring import prepare, report
    from gans.runs.networks import pick_device
    from gans.training.launch import train_or_resume

    torch.set_num_threads(threads)
    cfg = from_dict(cfg_dict)
    study = Study.from_toml(study_toml, STUDY_FILE)
    t0 = time.perf_counter()
    last = train_or_resume(cfg, progress=False)
    train_s = time.perf_counter() - t0
    protocol = protocol_of(study, cfg)
    weights = study.eval.get("inception_weights") or cfg.inception_weights or None
    batch = study.eval.get("batch_size", 100)
    inception, ref = prepare(protocol, weights, pick_device(cfg.device), cfg.data_dir, None, batch, progress=False)
    results = score_checkpoints([last], protocol, inception, ref, cfg.device, batch, progress=False)
    write_to_runs(report(protocol, inception, ref, results))
    return {"run": cfg.run_name, "step": results[0].step, "fid": results[0].summary.fid,
            "kid": results[0].summary.kid_mean, "train_s": train_s}


def error_line(text: str, fallback: str) -> str:
    """The last 'SomeError: message' line of a job's traceback (submitit wraps it in its own)."""
    found = re.findall(r"^(?:[\w.]+\.)?(\w*(?:Error|Exception|Interrupt|Interrupted)): (.+)$", text, flags=re.M)
    return (f"{found[-1][0]}: {found[-1][1]}" if found else fallback)[:300]


def _executor(study: Study, folder: Path, threads: int):
    import submitit

    if study.executor == "slurm":
        ex = submitit.AutoExecutor(folder=folder, cluster="slurm")
        ex.update_parameters(timeout_min=study.timeout_min, cpus_per_task=threads,
                             **{f"slurm_{k.replace('-', '_')}": v for k, v in study.slurm.items()})
    else:
        ex = submitit.LocalExecutor(folder=folder)
        gpus = 1 if os.environ.get("CUDA_VISIBLE_DEVICES", "") != "" or _has_cuda() else 0
        ex.update_parameters(timeout_min=study.timeout_min, gpus_per_node=gpus)
    return ex


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def run_study(out: Path, study: Study, say: Callable[[str], None] = print) -> dict[str, Path]:
    """Run what is not done yet, at most ``study.jobs`` at once, then write the report."""
    from gans.analysis.compare import compare
    from gans.core.files import check_writable
    from gans.runs.networks import pick_device

    study.check()
    cfgs = run_configs(study, out)
    check_writable(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / STUDY_FILE).write_text(study.to_toml())
    todo = [c for c in cfgs if not is_done(c)]
    say(f"study {out}: {len(cfgs)} runs, {len(cfgs) - len(todo)} done, {len(todo)} to run, {study.jobs} at a time "
        f"({study.executor})")
    if todo:
        if study.executor == "local" and study.jobs > 1 and any(pick_device(c.device).type == "cuda" for c in todo):
            say(f"note: {study.jobs} runs at once take turns on one GPU, which is slower in total than "
                "one after another (measured on an H200); --jobs 1 on one GPU")
        _prepare_references(study, todo, say)
        threads = max(1, (os.cpu_count() or 1) // study.jobs)
        failed = _run_jobs(study, todo, _executor(study, out / "jobs", threads), threads, say)
        if failed:
            raise UserError(f"{len(failed)} of {len(todo)} runs failed ({'; '.join(failed)}); "
                            f"fix the cause and run `gans study --out {out}` again to retry them")
    written = compare([Path(c.out) for c in cfgs], out / "report")
    say(f"report: {out / 'report' / 'report.html'}")
    return written


def _prepare_references(study: Study, cfgs: list[TrainConfig], say: Callable[[str], None]) -> None:
    """Reference statistics once, here, so parallel jobs find them cached instead of each computing them."""
    from gans.eval.scoring import prepare
    from gans.runs.networks import pick_device

    seen = set()
    for cfg in cfgs:
        weights = study.eval.get("inception_weights") or cfg.inception_weights or None
        protocol = protocol_of(study, cfg)
        refs = [(protocol.reference, protocol.reference_count)]
        if cfg.eval_every:
            refs.append((cfg.eval_reference or cfg.dataset, cfg.eval_reference_count or None))
        for reference, count in refs:
            if (reference, count, weights) in seen:
                continue
            seen.add((reference, count, weights))
            say(f"reference statistics: {reference}" + (f" (first {count})" if count else ""))
            prepare(dataclasses.replace(protocol, reference=reference, reference_count=count), weights,
                    pick_device(cfg.device),
                    cfg.data_dir, None, study.eval.get("batch_size", 100), progress=False, log=say)


def _run_jobs(study: Study, todo: list[TrainConfig], executor, threads: int, say: Callable[[str], None]) -> list[str]:
    """Keep at most ``study.jobs`` in flight (submitit's local executor starts every job it is
    given at once); cancel the rest on Ctrl-C or SIGTERM so no job outlives the study."""
    from gans.core.signals import StopSignals

    pending, running, failed, done = list(todo), {}, [], 0
    toml = study.to_toml()
    with StopSignals(say=say) as stop:
        try:
            while pending or running:
                while pending and len(running) < study.jobs and not stop.signum:
                    cfg = pending.pop(0)
                    running[executor.submit(run_job, cfg.to_dict(), toml, threads)] = cfg
                    say(f"started {cfg.run_name}")
                if stop.signum:
                    raise KeyboardInterrupt
                for job in [j for j in running if j.done()]:
                    cfg = running.pop(job)
                    done += 1
                    try:
                        r = job.result()
                        say(f"[{done}/{len(todo)}] {cfg.run_name}: step {r['step']}, FID {r['fid']:.2f}, "
                            f"trained in {r['train_s']:.0f} s")
                    except Exception as e:  # the job's own error, one line, with its log
                        failed.append(f"{cfg.run_name}: {error_line(str(e), type(e).__name__)} "
                                      f"(log: {job.paths.stderr})")
                        say(f"[{done}/{len(todo)}] {cfg.run_name} FAILED: {failed[-1]}")
                time.sleep(0.5)
        except KeyboardInterrupt:
            for job in running:
                job.cancel(check=False)
            raise UserError(f"study stopped; {len(running)} running job(s) cancelled at their last checkpoint; "
                            "run the same command again to continue") from None
    return failed
