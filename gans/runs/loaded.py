"""A trained run as Python objects: ``gans.load_run(path)``.

    import gans
    run = gans.load_run("runs/sngan-seed0", device="cpu")
    images = run.sample(64, seed=0)  # uint8 (64, C, H, W), the same images for the same seed

The generator comes from :func:`gans.runs.sampling.load_generator` and draws through
:func:`gans.runs.sampling.generate`, so the images are those `gans sample --seed S` writes.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from gans.config import TrainConfig
from gans.core.errors import UserError
from gans.runs import checkpoint as ckpt_io, sampling
from gans.runs.eval_report import RunResult, read_eval_report
from gans.runs.layout import BEST, CKPT_DIR, RunLayout, run_dir_of
from gans.runs.log_records import EvalPoint
from gans.runs.runlog import read_jsonl
from gans.runs.sampling import load_generator, sampling_mode, uses_ema


@dataclass
class Run:
    """One checkpoint of a run, loaded: its generator (in eval mode, on ``device``) and what the run
    recorded about itself."""

    generator: nn.Module  # the EMA generator when the run kept one (unless loaded with ema=False)
    config: TrainConfig  # the config the checkpoint was trained with
    step: int  # the generator step the checkpoint was saved at
    checkpoint: Path  # the file loaded
    run_dir: Path | None  # the run directory holding it (None: a checkpoint outside a run's checkpoints/)
    ema: bool  # whether ``generator`` holds the EMA weights

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    @functools.cached_property
    def evals(self) -> list[RunResult]:
        """The run's `gans eval` results (RUN/eval.json), one per checkpoint scored; [] when none."""
        report = read_eval_report(self.run_dir) if self.run_dir else None
        return report.results if report else []

    @functools.cached_property
    def train_evals(self) -> list[EvalPoint]:
        """The training-time evaluations (RUN/eval.jsonl, written with --eval-every); [] when none."""
        return [EvalPoint.from_json(r) for r in read_jsonl(RunLayout(self.run_dir).evals)] if self.run_dir else []

    def sample(self, n: int, seed: int = 0, batch_size: int = 500) -> torch.Tensor:
        """``n`` images as a uint8 (n, C, H, W) tensor on the CPU; the same seed gives the same images
        on any device and at any ``batch_size``."""
        if n < 1:
            raise UserError(f"sample(n={n}): n must be at least 1")
        with sampling_mode(self.generator):
            # through the module: a patch of sampling.generate (the CLI tests') sees every draw
            return torch.cat([x.cpu() for x in sampling.generate(self.generator, n, seed, batch_size)])


def _checkpoint_of(path: Path, checkpoint: str | int | None) -> Path:
    """The file ``path`` and ``checkpoint`` name: a file as given, else the run's latest, its best or
    the one saved at a step."""
    if checkpoint is None or checkpoint == "latest":
        return ckpt_io.resolve_checkpoint(path)
    if path.is_file():
        raise UserError(f"{path} is a checkpoint file, so checkpoint={checkpoint!r} cannot pick another; "
                        "pass the run directory instead")
    if not path.is_dir():
        raise UserError(f"run directory {path} does not exist; pass a folder written by gans train")
    if checkpoint == "best":
        best = RunLayout(path).best
        if not best.is_file():
            raise UserError(f"{path} has no {CKPT_DIR}/{BEST} (kept only by runs trained with "
                            "--eval-every); pass checkpoint='latest' or a step")
        return best
    if isinstance(checkpoint, int) and not isinstance(checkpoint, bool):
        steps = dict(ckpt_io.list_checkpoints(path))
        if checkpoint not in steps:
            raise UserError(f"{path} has no checkpoint at step {checkpoint}; pass one of the steps it kept: "
                            f"{', '.join(map(str, steps)) or 'none'}")
        return steps[checkpoint]
    raise UserError(f"checkpoint={checkpoint!r} is not 'latest', 'best' or a step number")


def load_run(path: str | Path, device: str | torch.device = "auto", checkpoint: str | int | None = None,
             ema: bool = True) -> Run:
    """Load a run directory (its latest checkpoint; ``checkpoint="best"`` for checkpoints/best.pt,
    or a step number) or a checkpoint file. ``device``: "auto" (CUDA when visible), "cpu", "cuda:N".
    ``ema=False`` loads the raw generator of a run trained with --ema-decay."""
    file = _checkpoint_of(Path(path), checkpoint)
    G, cfg, state = load_generator(file, device, ema=ema)
    return Run(generator=G, config=cfg, step=int(state["step"]), checkpoint=file, run_dir=run_dir_of(file),
               ema=uses_ema(state, ema))
