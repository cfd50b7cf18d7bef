"""Where each file of a run directory lives: the one module that names them, so a writer and its
readers cannot disagree. Plain paths, no torch.

    RUN/config.toml                  the resolved config (`gans train --config RUN/config.toml` repeats the run)
    RUN/metrics.jsonl                losses and steps/s, a row per --log-every steps
    RUN/eval.jsonl                   training-time evaluations (--eval-every)
    RUN/machines.jsonl               where each stretch of training ran (CPU, instruction set, device), a row per start or resume
    RUN/diagnostics.jsonl            critic diagnoses (--diagnose-every, `gans diagnose --from-checkpoints`)
    RUN/eval.json, RUN/eval.csv      `gans eval`'s report on the run's checkpoints
    RUN/checkpoints/ckpt_N.pt        the checkpoint of step N (8 digits)
    RUN/checkpoints/best.pt          the best by training-time FID (--eval-every); never pruned
    RUN/samples/step_N.png           the fixed-noise grid of step N
    RUN/samples/stepN-seedS-nK.npz   `gans sample`'s draw without --out (-ema: of the EMA generator)
    RUN/dropped-TIME.jsonl, RUN/dropped-TIME/   log rows and checkpoints a resume set aside
    RUN/.lock                        held by the one process writing the run (a study's folder has one too)
    RUN/diverged.txt                 a study's record that the run diverged (its error line): done, not retried
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

CONFIG = "config.toml"
METRICS = "metrics.jsonl"
EVALS = "eval.jsonl"
DIAGNOSTICS = "diagnostics.jsonl"
MACHINES = "machines.jsonl"
EVAL_REPORT = "eval.json"
EVAL_CSV = "eval.csv"
CKPT_DIR = "checkpoints"
BEST = "best.pt"
SAMPLES_DIR = "samples"
LOCK_FILE = ".lock"
DROPPED_GLOB = "dropped-*.jsonl"
DIVERGED = "diverged.txt"

_CHECKPOINT = re.compile(r"^ckpt_(\d+)\.pt$")
_GRID = re.compile(r"^step_(\d+)\.png$")


def checkpoint_path(run_dir: str | Path, step: int) -> Path:
    return Path(run_dir) / CKPT_DIR / f"ckpt_{step:08d}.pt"


def step_of(path: str | Path) -> int | None:
    """The step in a ckpt_N.pt file's name (None for best.pt and other names)."""
    m = _CHECKPOINT.match(Path(path).name)
    return int(m.group(1)) if m else None


def run_dir_of(path: str | Path) -> Path | None:
    """The run directory a checkpoint file belongs to (RUN/checkpoints/FILE), else None."""
    p = Path(path)
    return p.parent.parent if p.parent.name == CKPT_DIR else None


def grid_path(run_dir: str | Path, step: int) -> Path:
    return Path(run_dir) / SAMPLES_DIR / f"step_{step:08d}.png"


def grid_step(path: str | Path) -> int | None:
    """The step in a step_N.png grid's name (None for other names)."""
    m = _GRID.match(Path(path).name)
    return int(m.group(1)) if m else None


def samples_path(run_dir: str | Path, step: int, seed: int, num: int, ema: bool) -> Path:
    """Where `gans sample` writes without --out (``run_dir``: the run, or a loose checkpoint's
    folder): beside the training grids, named by all that makes two draws differ, so no draw
    replaces another."""
    return Path(run_dir) / SAMPLES_DIR / f"step{step:08d}-seed{seed}-n{num}{'-ema' if ema else ''}.npz"


def dropped_name(stamp: str | None = None) -> str:
    """The side file of a resume's set-aside rows: named by the time of the resume."""
    return f"dropped-{stamp or time.strftime('%Y%m%d-%H%M%S')}.jsonl"


@dataclass(frozen=True)
class RunLayout:
    """The paths of one run directory ``root``."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def config(self) -> Path:
        return self.root / CONFIG

    @property
    def metrics(self) -> Path:
        return self.root / METRICS

    @property
    def evals(self) -> Path:
        return self.root / EVALS

    @property
    def diagnostics(self) -> Path:
        return self.root / DIAGNOSTICS

    @property
    def machines(self) -> Path:
        return self.root / MACHINES

    @property
    def eval_report(self) -> Path:
        return self.root / EVAL_REPORT

    @property
    def eval_csv(self) -> Path:
        return self.root / EVAL_CSV

    @property
    def checkpoints(self) -> Path:
        return self.root / CKPT_DIR

    @property
    def best(self) -> Path:
        return self.root / CKPT_DIR / BEST

    @property
    def samples(self) -> Path:
        return self.root / SAMPLES_DIR

    @property
    def lock(self) -> Path:
        return self.root / LOCK_FILE

    @property
    def diverged(self) -> Path:
        return self.root / DIVERGED

    def checkpoint(self, step: int) -> Path:
        return checkpoint_path(self.root, step)

    def grid(self, step: int) -> Path:
        return grid_path(self.root, step)

    def checkpoint_files(self) -> list[tuple[int, Path]]:
        """(step, path) of every ckpt_N.pt, oldest first (best.pt is not one of them)."""
        return self._by_step(self.checkpoints, step_of)

    def grids(self) -> list[tuple[int, Path]]:
        """(step, path) of every training grid, oldest first."""
        return self._by_step(self.samples, grid_step)

    @staticmethod
    def _by_step(folder: Path, step: Callable[[Path], int | None]) -> list[tuple[int, Path]]:
        if not folder.is_dir():
            return []
        return sorted((s, p) for p in folder.iterdir() if (s := step(p)) is not None)
