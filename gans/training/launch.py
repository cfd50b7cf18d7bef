"""Starting, resuming and describing runs: what the CLI calls, with every check up front so a bad
flag fails before anything is written."""
from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path
from typing import Any, Iterator

from gans.runs import checkpoint as ckpt_io
from gans.config import TrainConfig, flag, read_config_file, resolve, resume_config
from gans.core.errors import UserError
from gans.core.files import check_writable, remove_stale_temporaries
from gans.models import NORMS, count_parameters
from gans.runs.lock import check_not_locked, lock_run
from gans.runs.networks import build_discriminator, build_generator
from gans.training.trainer import Trainer


def _writes_run() -> bool:
    """Whether this process writes the run: every process but torchrun's other ranks."""
    return int(os.environ.get("RANK", "0")) == 0


def _already_a_run(run_dir: Path) -> UserError:
    return UserError(f"{run_dir} already holds a run; continue it with --resume {run_dir} or pick another --out")


def start_run(cfg: TrainConfig) -> Trainer:
    """A new run. Nothing is written until training starts: a bad data set or device leaves no
    empty run directory behind. The run is locked to this process from then on."""
    run_dir = Path(cfg.out)
    if ckpt_io.list_checkpoints(run_dir):
        check_not_locked(run_dir)  # "being written by pid N" says more than "holds a run"
        raise _already_a_run(run_dir)
    check_writable(run_dir)
    trainer = Trainer(cfg)
    if _writes_run():
        lock_run(run_dir)  # the first write, once the data and the device have loaded
        if ckpt_io.list_checkpoints(run_dir):  # started by another process since the check above
            raise _already_a_run(run_dir)
    return trainer


def resume_config_of(run_dir: str | Path, flags: dict[str, Any], config_file: str | None) -> tuple[TrainConfig, Path]:
    """The config a resume would continue with, and the checkpoint it starts from."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"--resume {run_dir}: no such run directory; pass the --out of an earlier run")
    if not ckpt_io.list_checkpoints(run_dir):
        raise UserError(f"--resume {run_dir}: no checkpoint in {run_dir / ckpt_io.CKPT_DIR}; "
                        "start a new run with --out instead")
    path = ckpt_io.resolve_checkpoint(run_dir)
    state = ckpt_io.load_checkpoint(path)
    changes = {**(read_config_file(config_file) if config_file else {}), **flags}
    changes.pop("out", None)
    cfg = resume_config(state["config"], changes, run_dir)
    if cfg.steps <= state["step"]:
        raise UserError(f"{run_dir} is already at step {state['step']}; pass {flag('steps')} larger than that")
    return cfg, path


def resume_run(run_dir: str | Path, flags: dict[str, Any], config_file: str | None = None) -> Trainer:
    if Path(run_dir).is_dir():  # (a missing one is resume_config_of's error)
        check_writable(run_dir)
        if _writes_run():  # refused while another process writes it; from here on its last checkpoint is final
            lock_run(run_dir)
            for folder in (Path(run_dir), Path(run_dir) / ckpt_io.CKPT_DIR):  # saves cut off by a kill
                remove_stale_temporaries(folder)
    cfg, path = resume_config_of(run_dir, flags, config_file)
    trainer = Trainer(cfg)
    trainer.load_state_dict(ckpt_io.load_checkpoint(path), path)
    trainer.last_path = path
    trainer.say(f"resuming {run_dir} from step {trainer.step} ({path.name})")
    return trainer


def dry_run_report(cfg: TrainConfig) -> str:
    g, d = build_generator(cfg), build_discriminator(cfg)
    lines = [f"{k.replace('_', '-'):>20}: {v}" for k, v in cfg.to_dict().items()]
    lines += ["", f"trainable parameters: G {count_parameters(g):,}  D {count_parameters(d):,} ({cfg.norm})",
              "D parameters by norm at this width (BN adds a scale and shift per channel; SN and MSN "
              "add nothing, MSN's beta replaces the conv bias):"]
    for name in NORMS:
        try:
            n = f"{count_parameters(build_discriminator(dataclasses.replace(cfg, norm=name))):,}"
        except ValueError as e:  # a norm that needs another architecture says which
            n = f"- ({e})"
        lines.append(f"  {name:>9}: {n}")
    return "\n".join(lines)


def train_or_resume(cfg: TrainConfig, progress: bool) -> Path:
    """Train ``cfg`` to its step count: start it, resume it if it stopped part-way, or leave a
    finished run as it is. Returns the final checkpoint."""
    latest = ckpt_io.latest(cfg.out)
    if latest is not None and ckpt_io.load_checkpoint(latest)["step"] >= cfg.steps:
        return latest
    trainer = start_run(cfg) if latest is None else resume_run(cfg.out, cfg.to_dict())
    return trainer.fit(progress=progress)


# Setting C (the presets' before the sweep) at 2.5x its learning rate: at 1e-3, (0.5, 0.9), 2 critic
# steps the SN critic collapsed to textures in 600 steps; at 2e-4 nothing had learned yet (2-core CPU)
QUICK = {"lr": 5e-4, "betas": (0.5, 0.999), "n_critic": 1}


def quickstart(presets: list[str], steps: int, width: float, batch_size: int, out: Path,
               grids: Path, progress: bool, extra: dict[str, Any] | None = None) -> Iterator[str]:
    """Train each system briefly on the built-in shapes and copy its final grid to GRIDS/PRESET.png.
    A finished system is skipped and an interrupted one resumed, so the command can be run again.
    ``extra`` holds further train flags (e.g. eval_every, inception_weights)."""
    cfgs = [resolve({**QUICK, **(extra or {}), "preset": preset, "steps": steps, "width": width,
                     "batch_size": batch_size, "out": str(out / preset), "sample_every": max(1, steps // 4),
                     "checkpoint_every": max(1, steps // 4)}) for preset in presets]
    check_writable(out)
    check_writable(grids)
    yield f"{'preset':>10} {'norm':>16} {'D params':>10} {'seconds':>8}  grid"
    for cfg in cfgs:
        t0 = time.perf_counter()
        state = ckpt_io.load_checkpoint(train_or_resume(cfg, progress))
        grids.mkdir(parents=True, exist_ok=True)
        grid = grids / f"{cfg.preset}.png"
        shutil.copyfile(Path(cfg.out) / "samples" / f"step_{state['step']:08d}.png", grid)
        yield f"{cfg.preset:>10} {cfg.norm:>16} {state['params']['D']:>10,} {time.perf_counter() - t0:>8.1f}  {grid}"


def launch_processes(argv: list[str], n: int) -> None:
    """`gans train --nproc N ...` is `torchrun --standalone --nproc-per-node N -m gans train ...`:
    the same command line without its --nproc, in N processes."""
    from torch.distributed.run import main as torchrun

    forwarded, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            forwarded.append(arg)
    try:
        torchrun(["--standalone", f"--nproc-per-node={n}", "-m", "gans", *forwarded])
    except Exception as e:  # torchrun's ChildFailedError: the ranks printed their own errors
        raise UserError(f"{n} processes did not finish ({type(e).__name__})") from None
