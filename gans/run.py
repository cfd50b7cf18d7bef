"""Starting, resuming and describing runs: what the CLI calls, with every check up front so a bad
flag fails before anything is written."""
from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from gans import checkpoint as ckpt_io
from gans.config import TrainConfig, read_config_file, resolve
from gans.errors import UserError
from gans.trainer import Trainer, build_discriminator, build_generator
from models import NORMS, count_parameters


def check_writable(run_dir: Path) -> None:
    """Create the directory and a probe file in it (os.access says yes to root on read-only mounts)."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=run_dir):
            pass
    except OSError as e:
        raise UserError(f"output directory {run_dir} is not writable ({e.strerror}); pass a writable --out") from None


def start_run(cfg: TrainConfig) -> Trainer:
    run_dir = Path(cfg.out)
    if ckpt_io.list_checkpoints(run_dir):
        raise UserError(f"{run_dir} already holds a run; continue it with --resume {run_dir} "
                        "or pick another --out")
    check_writable(run_dir)
    return Trainer(cfg)


def resume_run(run_dir: str | Path, flags: dict[str, Any], config_file: str | None,
               allowed: set[str]) -> Trainer:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"--resume {run_dir}: no such run directory; pass the --out of an earlier run")
    if not ckpt_io.list_checkpoints(run_dir):
        raise UserError(f"--resume {run_dir}: no checkpoint in {run_dir / ckpt_io.CKPT_DIR}; "
                        "start a new run with --out instead")
    path = ckpt_io.resolve_checkpoint(run_dir)
    state = ckpt_io.load_checkpoint(path)
    changes = {**(read_config_file(config_file) if config_file else {}),
               **{k.replace("-", "_"): v for k, v in flags.items()}}
    frozen = sorted(set(changes) - allowed)
    if frozen:
        raise UserError(f"--resume cannot change {', '.join('--' + k.replace('_', '-') for k in frozen)} "
                        f"(only {', '.join('--' + k.replace('_', '-') for k in sorted(allowed))}); "
                        "start a new run to change them")
    saved = state["config"]
    cfg = resolve({**saved, **changes, "out": str(run_dir)})
    if cfg.steps <= state["step"]:
        raise UserError(f"{run_dir} is already at step {state['step']}; pass --steps larger than that")
    check_writable(run_dir)
    for stale in (run_dir / ckpt_io.CKPT_DIR).glob(".*.tmp"):  # a save cut off by a kill
        stale.unlink()
    trainer = Trainer(cfg)
    trainer.load_state_dict(state, path)
    print(f"resuming {run_dir} from step {trainer.step} ({path.name})")
    return trainer


def dry_run_report(cfg: TrainConfig) -> str:
    g, d = build_generator(cfg), build_discriminator(cfg)
    lines = [f"{k.replace('_', '-'):>17}: {v}" for k, v in cfg.to_dict().items()]
    lines += ["", f"trainable parameters: G {count_parameters(g):,}  D {count_parameters(d):,} ({cfg.norm})",
              "D parameters by norm at this width (BN adds a scale and shift per channel; SN and MSN "
              "add nothing, MSN's beta replaces the conv bias):"]
    for name in NORMS:
        n = count_parameters(build_discriminator(dataclasses.replace(cfg, norm=name)))
        lines.append(f"  {name:>9}: {n:,}")
    return "\n".join(lines)


# The paper's setting A (lr 1e-4, 5 critic steps) needs thousands of steps to show shapes; this
# faster setting makes a few hundred CPU steps visibly learn the built-in data set.
QUICK = {"lr": 1e-3, "betas": (0.5, 0.9), "n_critic": 2}


def quickstart(presets: list[str], steps: int, width: float, batch_size: int, out: Path,
               samples: Path, progress: bool, extra: dict[str, Any] | None = None) -> Iterator[str]:
    """Train each system briefly on the built-in shapes; copy its final grid to samples/PRESET.png.
    ``extra`` holds further train flags (e.g. eval_every, inception_weights)."""
    cfgs = []
    for preset in presets:
        cfg = resolve({**QUICK, **(extra or {}), "preset": preset, "steps": steps, "width": width, "batch_size": batch_size,
                       "out": str(out / preset), "sample_every": max(1, steps // 4),
                       "checkpoint_every": steps})
        run_dir = Path(cfg.out)
        if ckpt_io.list_checkpoints(run_dir):
            raise UserError(f"{run_dir} already holds a run; remove it or pass another --out")
        cfgs.append(cfg)
    check_writable(out)
    check_writable(samples)
    samples.mkdir(parents=True, exist_ok=True)
    yield f"{'preset':>10} {'norm':>5} {'D params':>10} {'seconds':>8}  grid"
    for cfg in cfgs:
        trainer = Trainer(cfg)
        t0 = time.perf_counter()
        trainer.fit(progress=progress)
        grid = samples / f"{cfg.preset}.png"
        shutil.copyfile(trainer.run_dir / "samples" / f"step_{trainer.step:08d}.png", grid)
        yield f"{cfg.preset:>10} {cfg.norm:>5} {trainer.params['D']:>10,} {time.perf_counter() - t0:>8.1f}  {grid}"
