"""A run's append-only logs: metrics.jsonl (losses every --log-every steps), eval.jsonl
(training-time evaluations) and diagnostics.jsonl (--diagnose-every). Rows past the step a run resumes from (written by a run that was
killed later) are dropped first, so each step appears once."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from gans.core.files import WriteFailed, write_atomic

METRICS, EVALS, DIAGNOSTICS = "metrics.jsonl", "eval.jsonl", "diagnostics.jsonl"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The rows of a log; a torn last line (a kill or a full disk mid-append) is left out, as the
    run resuming from its checkpoint drops it anyway."""
    return _rows(path.read_text()) if path.exists() else []


def _rows(text: str) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    rows = []
    for i, line in enumerate(lines):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if i != len(lines) - 1:
                raise
    return rows


class RunLog:
    """``write=False`` (the other ranks of a multi-process run) keeps the clock and writes nothing."""

    def __init__(self, run_dir: Path, step: int, write: bool = True) -> None:
        self.run_dir, self.write = run_dir, write
        self.trim(step)
        self.metrics = (run_dir / METRICS).open("a") if write else None
        self.evals = self.diagnostics = None  # opened at their first row: runs without one get no empty file

    def trim(self, step: int) -> None:
        """Drop rows logged after ``step`` (a resume or rollback point); restart the steps/s clock."""
        for name in (METRICS, EVALS, DIAGNOSTICS) if self.write else ():
            path = self.run_dir / name
            logged = path.read_text() if path.exists() else ""
            rows = _rows(logged)
            kept = [r for r in rows if r["step"] <= step]
            if len(kept) != len(rows) or (logged and not logged.endswith("\n")):  # rows past the step, or a torn one
                text = "".join(json.dumps(r) + "\n" for r in kept).encode()
                write_atomic(path, lambda f: f.write(text))
        self._clock = (time.perf_counter(), step)

    def train(self, step: int, values: dict[str, float]) -> dict[str, float]:
        """Append a metrics row with the steps/s since the last one; return the row."""
        now = time.perf_counter()
        t0, s0 = self._clock
        self._clock = (now, step)
        row = {"step": step, **values, "steps_per_s": (step - s0) / (now - t0)}
        if self.write:
            self._write(self.metrics, row)
        return row

    def eval(self, row: dict[str, Any]) -> None:
        if self.evals is None:
            self.evals = (self.run_dir / EVALS).open("a")
        self._write(self.evals, row)

    def diagnosis(self, row: dict[str, Any]) -> None:
        if self.diagnostics is None:
            self.diagnostics = (self.run_dir / DIAGNOSTICS).open("a")
        self._write(self.diagnostics, row)

    @staticmethod
    def _write(f, row: dict[str, Any]) -> None:
        try:
            f.write(json.dumps(row) + "\n")
            f.flush()
        except OSError as e:  # a full disk: one line; the checkpoints are intact and a resume trims the torn row
            raise WriteFailed(Path(f.name), e) from None

    def close(self) -> None:
        for f in (self.metrics, self.evals, self.diagnostics):
            if f is not None:
                f.close()

    def __enter__(self) -> "RunLog":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
