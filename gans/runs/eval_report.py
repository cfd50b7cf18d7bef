"""A run's `gans eval` report, RUN/eval.json (and eval.csv beside it): its results, labelled with
the run each came from, and the one writer and the one reader, for `gans eval`, `gans study`,
`gans compare` and ``gans.load_run``."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gans.core.errors import UserError
from gans.eval.records import Report, Result
from gans.eval.report import Labels, read_json, write_csv, write_json
from gans.runs.layout import RunLayout


@dataclass
class RunResult(Result):
    """A scored source and where it came from among the runs: the checkpoint's run, system (the
    preset, or its --label), norm, seed, step and parameter counts, and whether its EMA generator
    was scored. An image set (the real-data row) has none of them. In eval.json these are keys of
    the result beside the library's own, as they have always been."""

    run_dir: str | None = None
    system: str | None = None
    norm: str | None = None
    seed: int | None = None
    step: int | None = None
    params: dict[str, int] = field(default_factory=dict)
    ema: bool | None = None

    @classmethod
    def of(cls, result: Result, **labels: Any) -> "RunResult":
        """``result`` (the library's record) with ``labels``."""
        return cls(**{f.name: getattr(result, f.name) for f in dataclasses.fields(Result)}, **labels)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "RunResult":
        r = super().from_json(d)
        r.params = r.params or {}  # null in files written before every result stored its counts
        return r


# the labels eval.csv has a column for, the terminal table shows, and pooled rows are named by
RUN_LABELS = Labels(csv=("system", "norm", "seed", "step", "ema"), table=("step", "ema"), group="system",
                    what="checkpoints")


def read_eval_report(run_dir: str | Path) -> Report | None:
    """The run's eval.json, its results read as :class:`RunResult`; None when `gans eval` never scored
    the run. A file that does not read as a report with results is one line naming it and the fix."""
    path = RunLayout(run_dir).eval_report
    if not path.exists():
        return None
    try:
        report = read_json(path, RunResult)
        if not report.results:
            raise ValueError("no results")
        return report
    except (json.JSONDecodeError, KeyError, ValueError, TypeError) as e:
        raise UserError(f"{path} is not a gans eval report ({type(e).__name__}); re-run gans eval "
                        "or delete it") from None


def write_to_runs(report: Report) -> list[Path]:
    """Each run directory gets eval.json and eval.csv with its own checkpoints' results (those of
    the report's results that are a :class:`RunResult` naming a run)."""
    by_run: dict[str, list[Result]] = {}
    for r in report.results:
        if isinstance(r, RunResult) and r.run_dir:
            by_run.setdefault(r.run_dir, []).append(r)
    written = []
    for run_dir, results in by_run.items():
        own, files = report.only(results), RunLayout(run_dir)
        written += [write_json(own, files.eval_report), write_csv(own, files.eval_csv, labels=RUN_LABELS)]
    return written
