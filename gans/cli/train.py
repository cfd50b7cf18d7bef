"""`gans train`, `gans sample` and `gans quickstart`: making and drawing from generators."""
from __future__ import annotations

import os
from pathlib import Path

import click

from gans import config as C
from gans.cli.app import CONTEXT, cli
from gans.cli.options import say_wandb, set_threads, threads_option, train_options, wandb_options
from gans.core.errors import UserError
from gans.runs.tracking import wandb_settings


@cli.command(context_settings=CONTEXT)
@train_options
@click.option("--config", "config_file", type=click.Path(), help="TOML file whose keys are these flag names; flags override it.")
@click.option("--resume", type=click.Path(), help="Continue RUN_DIR from its latest checkpoint, or from one of its "
              "checkpoint files (RUN_DIR/checkpoints/ckpt_N.pt); what was logged and saved after it is moved "
              "to RUN_DIR/dropped-TIMESTAMP*, not deleted.")
@click.option("--dry-run", is_flag=True, help="Print the resolved config and parameter counts, then exit.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@click.option("--nproc", type=click.IntRange(min=1), help="Train on N processes (GPUs, or CPU processes on gloo) through torchrun; "
                                        "--batch-size is the total over them.")
@threads_option()
@wandb_options
def train(config_file: str | None, resume: str | None, dry_run: bool, progress: bool, nproc: int | None,
          threads: int | None, **flags) -> None:
    """Train a generator against a discriminator with the chosen normalization.

    \b
    Examples:
      gans train --preset msngan --steps 2000 --width 0.25 --dataset cifar10
      gans train --preset wgan-gp --dataset cifar10 --data-dir data      (on a GPU)
      gans train --resume runs/msngan-seed0 --steps 200000
      gans train --resume runs/msngan-seed0/checkpoints/ckpt_00010000.pt
    """
    from gans.training.launch import dry_run_report, launch_processes, resume_config_of, resume_run, start_run
    from gans.training.startline import cpu_warning

    if nproc and nproc > 1 and not os.environ.get("WORLD_SIZE"):  # the parent: start the ranks, each runs this again
        launch_processes(click.get_current_context().obj["argv"], nproc)
        return
    wandb = wandb_settings(flags)
    given = {k: v for k, v in flags.items() if v is not None}
    if dry_run:
        cfg = resume_config_of(resume, given, config_file)[0] if resume else C.resolve(flags, config_file)
        click.echo(dry_run_report(cfg))
        return
    set_threads(threads)
    trainer = resume_run(resume, given, config_file) if resume else start_run(C.resolve(flags, config_file))
    warning = cpu_warning(trainer.cfg, trainer.device, trainer.step)
    if warning and trainer.ranks.main:
        click.echo(warning, err=True)
    tracker = None
    if wandb and trainer.ranks.main:
        from gans.runs.tracking import WandbTracker

        tracker = WandbTracker(wandb, trainer.cfg, trainer.params, trainer.run_dir)
    try:
        path = trainer.fit(progress=progress, tracker=tracker)
    finally:
        if tracker:
            tracker.finish(trainer.summary())
            say_wandb(tracker.run, wandb.mode)
    if trainer.ranks.main:
        click.echo(f"done: {trainer.run_dir} (checkpoint {path})")


@cli.command(context_settings=CONTEXT)
@click.option("--checkpoint", required=True, type=click.Path(), help="A ckpt_*.pt file or a run directory (its latest).")
@click.option("--num", type=click.IntRange(min=1), default=64, show_default=True, help="Number of images.")
@click.option("--out", type=click.Path(), help="FILE.npz (uint8 NCHW under key x) or a folder of PNGs. "
                                             "[default: RUN/samples/stepSTEP-seedSEED-nNUM[-ema].npz]")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file or non-empty folder.")
@click.option("--grid", type=click.Path(), help="Also write a PNG grid of the first 64 images here.")
@click.option("--seed", type=int, default=0, show_default=True, help="Latent seed.")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True, help="Images per generator call.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--interpolate", type=click.Path(), help="Also write a latent interpolation grid (PNG) here: "
                                                       "8 rows, each a spherical walk between two latents.")
@click.option("--interpolate-steps", type=click.IntRange(min=2), default=10, show_default=True, help="Images per interpolation row.")
@click.option("--no-ema", is_flag=True, help="Use the raw generator of a run trained with --ema-decay.")
def sample(checkpoint: str, num: int, out: str | None, overwrite: bool, grid: str | None, seed: int, batch_size: int,
           device: str, interpolate: str | None, interpolate_steps: int, no_ema: bool) -> None:
    """Draw images from a trained generator. Without --out they go to the run's own samples/ folder,
    named by step, seed and count, so draws of different runs (or of one run) never collide."""
    from gans.core.files import check_new_file
    from gans.runs.loaded import load_run
    from gans.runs.layout import samples_path
    from gans.runs.sampling import check_images_target, interpolation, write_grid, write_images

    for name, png in (("--grid", grid), ("--interpolate", interpolate)):
        if png and Path(png).suffix.lower() != ".png":
            raise UserError(f"{name} {png} must end in .png; pass e.g. samples/grid.png")
        if png:
            check_new_file(png, name, overwrite)
    run = load_run(checkpoint, device, ema=not no_ema)
    target = Path(out) if out else samples_path(run.run_dir or run.checkpoint.parent, run.step, seed, num, run.ema)
    check_images_target(target, overwrite)  # before the work, not after it
    images = run.sample(num, seed, batch_size)
    which = "EMA generator" if run.ema else "generator"
    click.echo(f"wrote {num} images from the {which} at step {run.step} to {write_images(images, target)}")
    if grid:
        click.echo(f"grid: {write_grid(images, Path(grid))}")
    if interpolate:
        walk = interpolation(run.generator, rows=8, steps=interpolate_steps, seed=seed)
        click.echo(f"interpolation: {write_grid(walk, Path(interpolate), nrow=interpolate_steps, rows=8)}")


@cli.command(context_settings=CONTEXT)
@click.option("--steps", type=int, default=600, show_default=True, help="Generator steps per system.")
@click.option("--width", type=float, default=0.25, show_default=True, help="Channel multiplier.")
@click.option("--batch-size", type=int, default=32, show_default=True, help="Batch size.")
@click.option("--out", type=click.Path(), default="runs/quickstart", show_default=True,
              help="Parent of the run directories; the final grids go to OUT/PRESET.png.")
@click.option("--grids", type=click.Path(), help="Also copy the final grids here. [default: OUT]")
@click.option("--presets", default="wgan-gp,sngan,msngan", show_default=True, help="Comma-separated systems.")
@click.option("--eval-every", type=int, help="Also score FID every N steps (needs Inception weights).")
@click.option("--inception-weights", type=click.Path(), help="Inception weight file for --eval-every.")
@click.option("--progress/--no-progress", default=True, help="Show progress bars.")
@threads_option()
def quickstart(steps: int, width: float, batch_size: int, out: str, grids: str | None, presets: str,
               eval_every: int | None, inception_weights: str | None, progress: bool, threads: int | None) -> None:
    """Train WGAN-GP, SNGAN and MSNGAN briefly on the built-in shapes (offline, CPU) and write one
    sample grid per system to OUT/PRESET.png. Run it again to resume an interrupted one.

    Uses lr 5e-4, betas (0, 0.9) and 1 critic step so a few hundred steps show learning; each
    system keeps its own norm, loss, inits and pass. Ends with whether each system learned: its final generator
    against its untrained one, by a measure that takes seconds on a CPU (not FID), and the commands
    that give FID and a side-by-side table.
    """
    import shlex

    from gans.training.launch import quickstart as run_quickstart

    names = [p.strip() for p in presets.split(",") if p.strip()]
    unknown = [n for n in names if n not in C.PRESETS]
    if unknown or not names:
        raise UserError(f"unknown preset {unknown[0] if unknown else '(none)'!r} in --presets; "
                        f"choose from {', '.join(C.PRESETS)}")
    extra = {k: v for k, v in (("eval_every", eval_every), ("inception_weights", inception_weights)) if v is not None}
    set_threads(threads)
    for row in run_quickstart(names, steps, width, batch_size, Path(out), Path(grids or out), progress, extra):
        click.echo(row)
    # gans compare reads each run's eval.json, which only gans eval writes: without it the table is empty
    runs = " ".join(f"--checkpoint {shlex.quote(str(Path(out) / name))}" for name in names)
    click.echo("next, FID and a side-by-side table (Inception on a CPU takes minutes):\n"
               f"  gans eval {runs} --reference shapes --reference-count 500 --num-samples 500 --repeats 1\n"
               f"  gans compare {shlex.quote(out)} --out report")


