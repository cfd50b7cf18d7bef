"""A run's append-only logs: metrics.jsonl (losses every --log-every steps), eval.jsonl
(training-time evaluations) and diagnostics.jsonl (--diagnose-every). Rows past the step a run
resumes from (written by a run that was killed later, or that went on past an earlier checkpoint
it is resumed from) leave the logs first, so each step appears once; they are kept in a side file,
RUN/dropped-TIMESTAMP.jsonl, never deleted."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gans.core.files import WriteFailed, write_atomic
from gans.runs.layout import DIAGNOSTICS, EVALS, METRICS, dropped_name

LOGS = {METRICS: "metrics", EVALS: "evaluations", DIAGNOSTICS: "diagnostics"}  # file -> what its rows are


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


@dataclass(frozen=True)
class SetAside:
    """Rows a resume took out of the logs: where they went, which steps and which logs."""

    path: Path
    first: int
    last: int
    logs: tuple[str, ...]  # the log files they came from, in LOGS order

    def describe(self) -> str:
        kinds = [LOGS[name] for name in self.logs]
        what = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
        steps = f"step {self.first}" if self.first == self.last else f"steps {self.first}-{self.last}"
        return f"{what} of {steps} are moved to {self.path}"


def set_aside(run_dir: Path, step: int, aside: Path | None = None) -> SetAside | None:
    """Take the rows logged after ``step`` out of the run's logs and append them to ``aside``
    (default: a new RUN/dropped-TIMESTAMP.jsonl), each with a "log" key naming its file, so a reader
    can put them back. A torn last row (a kill mid-append) is dropped, as it cannot be read."""
    moved: list[dict[str, Any]] = []
    for name in LOGS:
        path = run_dir / name
        logged = path.read_text() if path.exists() else ""
        rows = _rows(logged)
        kept = [r for r in rows if r["step"] <= step]
        moved += [{"log": name, **r} for r in rows if r["step"] > step]
        if len(kept) != len(rows) or (logged and not logged.endswith("\n")):  # rows past the step, or a torn one
            if len(kept) != len(rows):  # the side file first: a kill between the two writes loses nothing
                aside = aside or new_side_file(run_dir)
                old = aside.read_text() if aside.exists() else ""
                extra = old + "".join(json.dumps(r) + "\n" for r in moved if r["log"] == name)
                write_atomic(aside, lambda f: f.write(extra.encode()))
            text = "".join(json.dumps(r) + "\n" for r in kept).encode()
            write_atomic(path, lambda f: f.write(text))
    if not moved:
        return None
    steps = [r["step"] for r in moved]
    return SetAside(aside, min(steps), max(steps), tuple(dict.fromkeys(r["log"] for r in moved)))


def new_side_file(run_dir: Path) -> Path:
    path = run_dir / dropped_name()
    n = 1
    while path.exists():  # two resumes within a second
        n += 1
        path = run_dir / dropped_name(f"{time.strftime('%Y%m%d-%H%M%S')}-{n}")
    return path


class RunLog:
    """``write=False`` (the other ranks of a multi-process run) keeps the clock and writes nothing."""

    def __init__(self, run_dir: Path, step: int, write: bool = True) -> None:
        self.run_dir, self.write = run_dir, write
        self.trim(step)
        self.metrics = (run_dir / METRICS).open("a") if write else None
        self.evals = self.diagnostics = None  # opened at their first row: runs without one get no empty file

    def trim(self, step: int) -> SetAside | None:
        """Set aside rows logged after ``step`` (a resume or rollback point, see :func:`set_aside`);
        restart the steps/s clock."""
        moved = set_aside(self.run_dir, step) if self.write else None
        for name in ("metrics", "evals", "diagnostics"):  # set_aside writes new files: append to those, not
            f = getattr(self, name, None)                  # to the replaced ones (a rollback's rows were lost)
            if f is not None:
                f.close()
                setattr(self, name, open(f.name, "a"))
        self._clock = (time.perf_counter(), step)
        return moved

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
