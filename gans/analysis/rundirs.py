"""Reading run directories: the one loader behind `gans compare` (and `gans diagnose`).

A run directory is what `gans train` writes: config.toml, metrics.jsonl, eval.jsonl (--eval-every),
diagnostics.jsonl (--diagnose-every), samples/step_*.png, checkpoints/ and eval.json (`gans eval`).
Reading one never builds a network: parameter counts come from what the run already stored.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from gans.config import TrainConfig, from_dict, to_toml
from gans.core.errors import UserError
from gans.eval.records import Report, Result, Summary
from gans.runs.eval_report import read_eval_report
from gans.runs.layout import CONFIG, RunLayout
from gans.runs.log_records import Diagnosis, EvalPoint
from gans.runs.machines import MachineRow, read_machines
from gans.runs.runlog import read_jsonl


@dataclass
class Final:
    """A run's headline numbers and where they came from."""

    summary: Summary
    source: str
    draws: int = 1  # the draws behind it: with one, its spreads were not measured


@dataclass
class RunDir:
    """Everything a report reads from one run directory."""

    path: Path
    cfg: TrainConfig
    metrics: list[dict[str, Any]]  # metrics.jsonl rows: step, loss_d, loss_g, ..., steps_per_s
    evals: list[EvalPoint]  # eval.jsonl: training-time evaluations
    diagnostics: list[Diagnosis]  # diagnostics.jsonl
    report: Report | None  # eval.json, when `gans eval` scored the run
    final: Final | None  # the numbers a table shows: eval.json's latest step, else the last eval.jsonl row
    params: dict[str, int] | None  # {"G": n, "D": n} as stored; None when nothing stored them
    grid: Path | None  # the newest sample grid
    diverged: str | None = None  # a study's record that training diverged (its error line)
    machines: list[MachineRow] = field(default_factory=list)  # machines.jsonl: where each stretch trained

    @property
    def system(self) -> str:
        return self.cfg.system

    @property
    def untrained_fid(self) -> float | None:
        """FID of the step-0 checkpoint (the untrained generator) when eval.json scored it beside a
        later one, as `gans study` does: the baseline of FID / untrained."""
        if self.report is None or self.final is None:
            return None
        first = [r.summary.fid for r in self.report.results if r.step == 0]
        return first[0] if first and any((r.step or 0) > 0 for r in self.report.results) else None

    @property
    def learned(self) -> float | None:
        """Final FID / untrained FID (below 1: the generator moved toward the data)."""
        base = self.untrained_fid
        return self.final.summary.fid / base if base and self.final.summary.fid is not None else None

    @property
    def fid_curve(self) -> dict[int, float]:
        """FID at each sample count its final score fitted FID-infinity on (the first draw's); {} when
        it was not scored so, or diverged."""
        if self.report is None or self.final is None:
            return {}
        latest = _latest(self.report)
        return {int(n): float(f) for n, f in (latest.draws[0].fid_curve or [])} if latest.draws else {}

    @property
    def last_step(self) -> int:
        return int(self.metrics[-1]["step"]) if self.metrics else 0

    @property
    def steps_per_s(self) -> float | None:
        """Median over the logged rows, the first left out (it holds start-up) when there are others."""
        import numpy as np

        rates = [r["steps_per_s"] for r in self.metrics[1:] or self.metrics if "steps_per_s" in r]
        return float(np.median(rates)) if rates else None

    def fids(self) -> dict[int, float]:
        """step -> training-time FID (eval.jsonl), one value per step: the last row where a resumed
        run scored a step again."""
        return {e.step: e.fid for e in self.evals if e.fid is not None}

    def series(self, key: str) -> dict[int, float]:
        """step -> value of one metrics.jsonl column (loss_d, loss_g, ...), for a seed band."""
        return {int(m["step"]): float(m[key]) for m in self.metrics if m.get(key) is not None}


def is_run_dir(path: Path) -> bool:
    return RunLayout(path).config.is_file()


def find_run_dirs(paths: Sequence[Path]) -> list[Path]:
    """Run directories as given, or the run directories directly inside a given folder (a study's
    directory stands for the runs in its runs/)."""
    found = []
    for p in map(Path, paths):
        if not p.is_dir():
            raise UserError(f"{p} does not exist; pass run directories written by gans train")
        if is_run_dir(p):
            found.append(p)
            continue
        inner = sorted(d for d in p.iterdir() if is_run_dir(d))
        if not inner and (p / "runs").is_dir():
            inner = sorted(d for d in (p / "runs").iterdir() if is_run_dir(d))
        if not inner:
            raise UserError(f"{p} holds no runs (no {CONFIG} in it or its subfolders); "
                            "pass directories written by gans train")
        found += inner
    if not found:
        raise UserError("no runs given; pass run directories written by gans train")
    once: dict[Path, Path] = {}  # a run given twice (a study's folder and one of its runs) is one run
    for p in found:
        once.setdefault(p.resolve(), p)
    return list(once.values())


def _latest(report: Report) -> Result:
    """The result of the report's latest step: the one a table shows."""
    return max(report.results, key=lambda r: r.step or 0)


def _final(report: Report | None, evals: list[EvalPoint]) -> Final | None:
    if report is not None:
        latest = _latest(report)
        p = report.protocol
        return Final(latest.summary, f"gans eval {p.name} ({p.repeats}x{p.num_samples} "
                                     f"vs {Path(str(p.reference)).name}), step {latest.step}", len(latest.draws))
    if evals:
        last = evals[-1]
        one = {k: v for k, v in last.to_json().items() if k in Summary.__dataclass_fields__}
        # one draw: IS and KID keep their spread within the draw; the others have none
        spread = {f"{k}_std": 0.0 for k in ("fid", "precision", "recall", "density", "coverage")
                  if one.get(k) is not None}
        return Final(Summary(**{**one, **spread}), f"train-time ({last.num_samples} samples), step {last.step}")
    return None


def _checkpoint_params(path: Path) -> dict[str, int] | None:
    """The 'params' entry the trainer stores in each checkpoint; the tensors are memory-mapped, not read."""
    import torch

    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError:  # mmap needs the zip format; older files load whole
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # a damaged file fails in many ways (the safe unpickler's own included); another may say it
        return None
    params = state.get("params") if isinstance(state, dict) else None
    if isinstance(params, dict) and all(isinstance(params.get(k), int) for k in ("G", "D")):
        return {"G": params["G"], "D": params["D"]}
    return None


def stored_params(run_dir: Path, report: Report | None = None) -> dict[str, int] | None:
    """G and D parameter counts as the run stored them: its eval report's (copied from the checkpoint
    scored), else a checkpoint's own, newest first."""
    if report is not None:
        for r in sorted(report.results, key=lambda r: r.step or 0, reverse=True):
            if r.params and all(isinstance(r.params.get(k), int) for k in ("G", "D")):
                return {"G": r.params["G"], "D": r.params["D"]}
    files = RunLayout(run_dir)
    candidates = [p for _, p in reversed(files.checkpoint_files())] + [files.best]
    for path in candidates:
        if path.is_file() and (params := _checkpoint_params(path)):
            return params
    return None


def load_run(run_dir: Path) -> RunDir:
    run_dir = Path(run_dir)
    files = RunLayout(run_dir)
    config = files.config
    if not config.is_file():
        raise UserError(f"{run_dir} is not a run directory (no {CONFIG}); pass directories written by "
                        "gans train, or their parent")
    try:
        cfg = from_dict(tomllib.loads(config.read_text()))
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{config} is not valid TOML ({e}); restore the file gans train wrote") from None
    evals = [EvalPoint.from_json(r) for r in read_jsonl(files.evals)]
    report = read_eval_report(run_dir)
    grids = files.grids()
    diverged = files.diverged.read_text().strip() if files.diverged.is_file() else None
    return RunDir(run_dir, cfg, read_jsonl(files.metrics), evals,
                  [Diagnosis.from_json(r) for r in read_jsonl(files.diagnostics)], report,
                  None if diverged else _final(report, evals),  # a score from before it diverged is not its result
                  stored_params(run_dir, report), grids[-1][1] if grids else None, diverged, read_machines(run_dir))


def load_runs(paths: Sequence[Path]) -> list[RunDir]:
    """Every run directory given, or inside a given folder, loaded in that order."""
    runs = [load_run(p) for p in find_run_dirs(paths)]
    seen: dict[str, RunDir] = {}
    for r in runs:  # the same config at the same seed, wherever it lies, is one run copied
        if (first := seen.setdefault(to_toml(replace(r.cfg, out="")), r)) is not r:
            raise UserError(f"{r.system} seed {r.cfg.seed} twice ({first.path}, {r.path}): a seed counted twice "
                            "would test copies as samples; pass each run once")
    return runs


def by_system(runs: Sequence[RunDir], key: Callable[[RunDir], str] = lambda r: r.system) -> dict[str, list[RunDir]]:
    """Runs grouped by ``key`` (default: the system, whose runs are its seeds), in first-seen order."""
    groups: dict[str, list[RunDir]] = {}
    for r in runs:
        groups.setdefault(key(r), []).append(r)
    return groups
