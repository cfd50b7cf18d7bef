"""A run's `gans eval` report, RUN/eval.json (and eval.csv beside it): the one writer and the one
reader, for `gans eval`, `gans study`, `gans compare` and ``gans.load_run``."""
from __future__ import annotations

import json
from pathlib import Path

from gans.core.errors import UserError
from gans.eval.records import Report, Result
from gans.eval.report import read_json, write_csv, write_json
from gans.runs.layout import RunLayout


def read_eval_report(run_dir: str | Path) -> Report | None:
    """The run's eval.json; None when `gans eval` never scored the run. A file that does not read as
    a report with results is one line naming it and the fix."""
    path = RunLayout(run_dir).eval_report
    if not path.exists():
        return None
    try:
        report = read_json(path)
        if not report.results:
            raise ValueError("no results")
        return report
    except (json.JSONDecodeError, KeyError, ValueError, TypeError) as e:
        raise UserError(f"{path} is not a gans eval report ({type(e).__name__}); re-run gans eval "
                        "or delete it") from None


def write_to_runs(report: Report) -> list[Path]:
    """Each run directory gets eval.json and eval.csv with its own checkpoints' results."""
    by_run: dict[str, list[Result]] = {}
    for r in report.results:
        if r.run_dir:
            by_run.setdefault(r.run_dir, []).append(r)
    written = []
    for run_dir, results in by_run.items():
        own, files = report.only(results), RunLayout(run_dir)
        written += [write_json(own, files.eval_report), write_csv(own, files.eval_csv)]
    return written
