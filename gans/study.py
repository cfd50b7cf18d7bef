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
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from gans import checkpoint as ckpt_io
from gans.config import PRESETS, TrainConfig, field_name, resolve
from gans.errors import UserError

EXECUTORS = ("local", "slurm")
STUDY_FILE = "study.toml"
# what a study's [eval] table may set: the protocol of `gans eval` plus where its weights are
EVAL_KEYS = ("num_samples", "repeats", "reference", "reference_count", "seed", "inception_weights", "batch_size",
             "kid_subsets", "kid_subset_size")


@dataclass
class Study:
    """A study as its TOML file states it."""

    systems: dict[str, dict[str, Any]]  # name -> train flags (a preset, plus what the system changes)
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    train: dict[str, Any] = field(default_factory=dict)  # flags every run shares
    eval: dict[str, Any] = field(default_factory=dict)  # gans eval settings for each run's final checkpoint
    jobs: int = 1
    executor: str = "local"
    timeout_min: int = 7 * 24 * 60
    slurm: dict[str, Any] = field(default_factory=dict)  # submitit's slurm_* parameters, without the prefix

    def __post_init__(self) -> None:
        # keys as fields are named, however the file or flags spelled them (n-critic, n_critic)
        self.train = {field_name(k): v for k, v in self.train.items()}
        self.eval = {field_name(k): v for k, v in self.eval.items()}
        self.systems = {name: {field_name(k): v for k, v in (flags or {}).items()} for name, flags in self.systems.items()}

    @classmethod
    def from_toml(cls, text: str, source: str) -> "Study":
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise UserError(f"{source} is not valid TOML ({e}); fix the file") from None
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(map(field_name, raw)) - known)
        if unknown:
            raise UserError(f"{source}: unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(known))}")
        raw = {field_name(k): v for k, v in raw.items()}
        systems = raw.pop("systems", None)
        if isinstance(systems, list):  # a list of presets as they are
            systems = {name: {} for name in systems}
        if not isinstance(systems, dict) or not systems:
            raise UserError(f"{source}: 'systems' must list presets (systems = [\"sngan\", ...]) or be a table "
                            "of name = {{preset = ..., flags...}}")
        try:
            study = cls(systems=systems, **raw)
        except (TypeError, AttributeError) as e:
            raise UserError(f"{source}: {e}; see gans study --help for the file's layout") from None
        return study

    def to_toml(self) -> str:
        def value(v: Any) -> str:
            if isinstance(v, dict):
                return "{" + ", ".join(f"{json.dumps(k.replace('_', '-'))} = {value(x)}" for k, x in v.items()) + "}"
            if isinstance(v, tuple):
                v = list(v)
            return json.dumps(v)  # JSON scalars and arrays are valid TOML

        lines = ["# A gans study; `gans study --config THIS_FILE --out DIR` repeats it.",
                 f"seeds = {value(self.seeds)}", f"jobs = {self.jobs}", f"executor = {value(self.executor)}",
                 f"timeout-min = {self.timeout_min}", "", "[systems]"]
        lines += [f"{json.dumps(name)} = {value(flags)}" for name, flags in self.systems.items()]
        for table in ("train", "eval", "slurm"):
            lines += ["", f"[{table}]"] + [f"{k.replace('_', '-')} = {value(v)}" for k, v in getattr(self, table).items()]
        return "\n".join(lines) + "\n"

    def same_experiment(self, other: "Study") -> bool:
        """Whether two studies give the same runs (how many at once, and where, does not matter)."""
        how = {"jobs": 1, "executor": "local", "timeout_min": 0, "slurm": {}}
        return dataclasses.replace(self, **how).to_toml() == dataclasses.replace(other, **how).to_toml()

    def check(self) -> None:
        if not self.seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in self.seeds):
            raise UserError(f"seeds must be a list of integers, got {self.seeds!r}")
        if not isinstance(self.jobs, int) or self.jobs < 1:
            raise UserError(f"--jobs must be >= 1, got {self.jobs!r}")
        if self.executor not in EXECUTORS:
            raise UserError(f"unknown executor {self.executor!r}; choose one of {', '.join(EXECUTORS)}")
        bad = sorted(set(map(field_name, self.eval)) - set(EVAL_KEYS))
        if bad:
            raise UserError(f"[eval] has no key {bad[0]!r}; valid keys: {', '.join(EVAL_KEYS)}")
        for k in ("out", "seed", "preset", "label"):
            if k in self.train:
                raise UserError(f"[train] cannot set {k!r}: the study sets it for each run")


def run_configs(study: Study, root: Path) -> list[TrainConfig]:
    """Every run of the study, resolved and checked before anything is written."""
    cfgs = []
    for name, flags in study.systems.items():
        preset = flags.get("preset", name)
        if preset not in PRESETS:
            raise UserError(f"system {name!r}: unknown preset {preset!r}; give it preset = one of {', '.join(PRESETS)}")
        label = "" if name == preset else name
        for seed in study.seeds:
            cfgs.append(resolve({**study.train, **flags, "preset": preset, "label": label, "seed": seed,
                                 "out": str(root / "runs" / f"{name}-seed{seed}")}))
    return cfgs


def protocol_of(study: Study, cfg: TrainConfig):
    from gans.eval.protocol import Protocol

    e = study.eval
    return Protocol(name="study", num_samples=e.get("num_samples", 1000), repeats=e.get("repeats", 1),
                    reference=e.get("reference") or cfg.eval_reference or cfg.dataset,
                    reference_count=e.get("reference_count"), seed=e.get("seed", 0),
                    kid_subsets=e.get("kid_subsets", 100),
                    kid_subset_size=e.get("kid_subset_size", min(1000, e.get("num_samples", 1000))))


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

    from gans.checkpoint_eval import score_checkpoints, write_to_runs
    from gans.config import from_dict
    from gans.eval.scoring import prepare, report
    from gans.nets import pick_device
    from gans.run import train_or_resume

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


def load_or_create(out: Path, study: Study | None) -> Study:
    """The study of ``out``: the one given (written to out/study.toml), or the one already there.
    A different study in an existing directory is refused: it would mix two experiments."""
    path = out / STUDY_FILE
    existing = Study.from_toml(path.read_text(), str(path)) if path.is_file() else None
    if study is None:
        if existing is None:
            raise UserError(f"{out} holds no study ({STUDY_FILE}); pass --config STUDY.toml or --systems")
        return existing
    if existing is not None and not existing.same_experiment(study):
        raise UserError(f"{out} holds a different study ({path}); pass another --out, or run "
                        f"`gans study --out {out}` alone to continue it")
    return study


def run_study(out: Path, study: Study, say: Callable[[str], None] = print) -> dict[str, Path]:
    """Run what is not done yet, at most ``study.jobs`` at once, then write the report."""
    from gans.compare import compare
    from gans.files import check_writable
    from gans.nets import pick_device

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
    from gans.nets import pick_device

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
    from gans.signals import StopSignals

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
