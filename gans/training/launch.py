"""Starting, resuming and describing runs: what the CLI calls, with every check up front so a bad
flag fails before anything is written."""
from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import time
from pathlib import Path
from typing import Any, Iterator

from gans.runs import checkpoint as ckpt_io
from gans.runs import layout
from gans.runs.layout import RunLayout
from gans.config import TrainConfig, flag, read_config_file, resolve, resume_config
from gans.core.errors import UserError
from gans.core.files import check_writable, remove_stale_temporaries
from gans.models import NORMS, count_parameters
from gans.runs.lock import check_not_locked, holds, lock_run, unlock_run
from gans.runs.networks import build_discriminator, build_generator
from gans.runs.runlog import new_side_file, set_aside
from gans.training.learned import learned_lines
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


def resume_target(target: str | Path) -> tuple[Path, Path | None]:
    """The run directory ``--resume`` names and the checkpoint file it names (None: the run's
    latest). Checked before anything is written: a folder that is not a run gets no lock file."""
    p = Path(target)
    if p.is_file():
        run_dir = ckpt_io.run_dir_of(p)
        if run_dir is None:
            raise UserError(f"--resume {p}: a checkpoint file must be in its run's {layout.CKPT_DIR}/ folder; "
                            f"pass RUN or RUN/{layout.CKPT_DIR}/ckpt_N.pt")
        return run_dir, p
    if not p.is_dir():
        raise UserError(f"--resume {p}: no such run directory or checkpoint file; pass the --out of an "
                        "earlier run, or one of its checkpoints")
    if not ckpt_io.list_checkpoints(p):
        raise UserError(f"--resume {p}: no checkpoint in {p / layout.CKPT_DIR}; "
                        "start a new run with --out instead")
    return p, None


def _load_to_resume(path: Path) -> dict[str, Any]:
    try:
        return ckpt_io.load_checkpoint(path)
    except ckpt_io.CorruptCheckpoint as e:
        if e.previous is None:
            raise
        raise UserError(f"{e.path} is truncated or corrupt ({e.cause}); resume from the previous good "
                        f"checkpoint with: gans train --resume {shlex.quote(str(e.previous))}") from None


def resume_config_of(target: str | Path, flags: dict[str, Any], config_file: str | None) -> tuple[TrainConfig, Path]:
    """The config a resume would continue with, and the checkpoint it starts from: ``target`` is a
    run directory (its latest checkpoint) or one of its checkpoint files."""
    run_dir, path = resume_target(target)
    path = path or ckpt_io.resolve_checkpoint(run_dir)
    state = _load_to_resume(path)
    changes = {**(read_config_file(config_file) if config_file else {}), **flags}
    changes.pop("out", None)
    cfg = resume_config(state["config"], changes, run_dir)
    if cfg.steps <= state["step"]:
        where = run_dir if path == ckpt_io.latest(run_dir) else path
        raise UserError(f"{where} is already at step {state['step']}; pass {flag('steps')} larger than that")
    return cfg, path


def resume_run(target: str | Path, flags: dict[str, Any], config_file: str | None = None) -> Trainer:
    """Continue a run from its latest checkpoint, or from the checkpoint file ``target``. What the
    run logged or saved after that checkpoint is set aside (see :func:`set_aside_later`), not lost."""
    run_dir, _ = resume_target(target)
    check_writable(run_dir)
    locked_here = _writes_run() and not holds(run_dir)
    if _writes_run():  # refused while another process writes it; from here on its last checkpoint is final
        lock_run(run_dir)
        for folder in (run_dir, RunLayout(run_dir).checkpoints):  # saves cut off by a kill
            remove_stale_temporaries(folder)
    try:
        cfg, path = resume_config_of(target, flags, config_file)
        trainer = Trainer(cfg)
        trainer.load_state_dict(ckpt_io.load_checkpoint(path), path)
    except BaseException:
        if locked_here:  # a refused resume leaves the run as free as it found it
            unlock_run(run_dir)
        raise
    trainer.last_path = path
    trainer.say(f"resuming {run_dir} from step {trainer.step} ({path.name})")
    if _writes_run() and (moved := set_aside_later(run_dir, trainer.step)):
        trainer.say(moved)
    return trainer


def set_aside_later(run_dir: Path, step: int) -> str | None:
    """Move what the run logged and saved after ``step`` into RUN/dropped-TIMESTAMP.jsonl (log rows)
    and RUN/dropped-TIMESTAMP/ (checkpoints); the one line saying so, or None when nothing was."""
    aside = new_side_file(run_dir)
    rows = set_aside(run_dir, step, aside)
    saved = ckpt_io.set_aside_after(run_dir, step, aside.with_suffix(""))
    parts = [rows.describe()] if rows else []
    if saved:
        what = f"the checkpoint of step {saved[0]} is" if len(saved) == 1 else \
            f"checkpoints of steps {saved[0]}-{saved[-1]} are"
        parts.append(f"{what} moved to {aside.with_suffix('')}/")
    return f"resuming from step {step}: " + "; ".join(parts) if parts else None


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


# One optimizer for every system, chosen by a rule stated before its runs so that 600 CPU steps show
# learning; the rule, the candidates and their scores: docs/usage.md, "Set up and quick start"
QUICK = {"lr": 5e-4, "betas": (0.0, 0.9), "n_critic": 1}


def quickstart(presets: list[str], steps: int, width: float, batch_size: int, out: Path,
               grids: Path, progress: bool, extra: dict[str, Any] | None = None) -> Iterator[str]:
    """Train each system briefly on the built-in shapes and copy its final grid to GRIDS/PRESET.png,
    then say whether each learned (gans.training.learned: seconds on a CPU). A finished system is
    skipped and an interrupted one resumed, so the command can be run again. ``extra`` holds further
    train flags (e.g. eval_every, inception_weights)."""
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
        shutil.copyfile(RunLayout(cfg.out).grid(state["step"]), grid)
        yield f"{cfg.preset:>10} {cfg.norm:>16} {state['params']['D']:>10,} {time.perf_counter() - t0:>8.1f}  {grid}"
    yield from learned_lines(cfgs)  # the evidence: each final generator against its untrained one


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
