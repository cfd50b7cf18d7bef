"""`gans` command line: a thin layer over the gans, models, losses and eval packages."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from gans.config import SETTINGS, SYSTEMS, LR_DECAYS
from gans.errors import Interrupted, UserError
from losses import LOSSES
from models.norms import NORMS

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# Changing these on --resume keeps the run's meaning; anything else would silently fork it.
# click >= 8.2 signals a bare group call with this error; older versions print help themselves.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())
RESUMABLE = {"steps", "device", "data_dir", "checkpoint_every", "sample_every", "log_every", "keep", "rollback"}


@click.group(context_settings=CONTEXT)
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """Train and compare GAN discriminators that differ only in their normalization:
    WGAN-GP (batch norm + gradient penalty), SNGAN (spectral norm) and MSNGAN (mean spectral norm).
    """


def _train_options(f):
    opts = [
        click.option("--preset", type=click.Choice(list(SYSTEMS)),
                     help="System: norm, loss and penalty together. [default: sngan]"),
        click.option("--setting", type=click.Choice(list(SETTINGS)),
                     help="SNGAN-paper optimizer setting (lr, betas, n-critic). [default: A]"),
        click.option("--norm", type=click.Choice(list(NORMS)), help="Discriminator normalization."),
        click.option("--g-norm", type=click.Choice(list(NORMS)), help="Generator normalization. [default: bn]"),
        click.option("--loss", type=click.Choice(list(LOSSES)), help="Adversarial objective."),
        click.option("--gp/--no-gp", default=None, help="Add the WGAN-GP gradient penalty."),
        click.option("--gp-weight", type=float, help="Penalty weight lambda. [default: 10]"),
        click.option("--steps", type=int, help="Generator steps. [default: 100000]"),
        click.option("--batch-size", type=int, help="Batch size. [default: 64]"),
        click.option("--n-critic", type=int, help="Critic steps per generator step."),
        click.option("--lr", type=float, help="Adam learning rate (both networks)."),
        click.option("--betas", type=float, nargs=2, help="Adam betas, e.g. --betas 0.5 0.9."),
        click.option("--lr-decay", type=click.Choice(list(LR_DECAYS)), help="Learning-rate schedule. [default: none]"),
        click.option("--width", type=float, help="Channel multiplier (1.0 = the paper's net). [default: 1.0]"),
        click.option("--z-dim", type=int, help="Latent size. [default: 128]"),
        click.option("--image-size", type=int, help="Image side, a multiple of 8. [default: 32]"),
        click.option("--channels", type=int, help="Image channels. [default: 3]"),
        click.option("--dataset", help="shapes (built-in, offline), cifar10, cifar10-test, "
                                       "FILE.npz or IMAGE_FOLDER. [default: shapes]"),
        click.option("--data-dir", help="Where cifar10 is (or is downloaded to). [default: data]"),
        click.option("--out", help="Run directory. [default: runs/PRESET-seedSEED]"),
        click.option("--seed", type=int, help="Seed for weights, noise and data order. [default: 0]"),
        click.option("--device", help="auto, cpu, cuda or cuda:N. [default: auto]"),
        click.option("--deterministic/--no-deterministic", default=None,
                     help="torch.use_deterministic_algorithms (bitwise-repeatable, slower on GPU)."),
        click.option("--checkpoint-every", type=int, help="Checkpoint period in steps. [default: 1000]"),
        click.option("--sample-every", type=int, help="Sample-grid period in steps. [default: 500]"),
        click.option("--log-every", type=int, help="Metrics period in steps. [default: 10]"),
        click.option("--keep", type=int, help="Checkpoints kept. [default: 3]"),
        click.option("--rollback", type=int, help="On divergence, reload the last checkpoint at half the "
                                                  "learning rate, up to N times (0: stop). [default: 0]"),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


@cli.command(context_settings=CONTEXT)
@_train_options
@click.option("--config", "config_file", type=click.Path(), help="TOML file whose keys are these flag names; flags override it.")
@click.option("--resume", type=click.Path(), help="Continue RUN_DIR from its latest checkpoint.")
@click.option("--dry-run", is_flag=True, help="Print the resolved config and parameter counts, then exit.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
def train(config_file: str | None, resume: str | None, dry_run: bool, progress: bool, **flags) -> None:
    """Train a generator against a discriminator with the chosen normalization.

    \b
    Examples:
      gans train --preset msngan --steps 20 --dataset ../shared/data/cifar10_train_subset.npz
      gans train --preset wgan-gp --dataset cifar10 --data-dir data      (the paper's run, on a GPU)
      gans train --resume runs/msngan-seed0 --steps 200000
    """
    from gans.run import dry_run_report, resume_run, start_run

    if resume:
        trainer = resume_run(resume, {k: v for k, v in flags.items() if v is not None}, config_file, RESUMABLE)
    else:
        from gans.config import resolve

        cfg = resolve(flags, config_file)
        if dry_run:
            click.echo(dry_run_report(cfg))
            return
        trainer = start_run(cfg)
    path = trainer.fit(progress=progress)
    click.echo(f"done: {trainer.run_dir} (checkpoint {path})")


@cli.command(context_settings=CONTEXT)
@click.option("--checkpoint", required=True, type=click.Path(), help="A ckpt_*.pt file or a run directory (its latest).")
@click.option("--num", type=int, default=64, show_default=True, help="Number of images.")
@click.option("--out", type=click.Path(), help="FILE.npz (uint8 NCHW under key x) or a folder of PNGs. [default: samples/RUN.npz]")
@click.option("--grid", type=click.Path(), help="Also write a PNG grid of the first 64 images here.")
@click.option("--seed", type=int, default=0, show_default=True, help="Latent seed.")
@click.option("--batch-size", type=int, default=500, show_default=True, help="Images per generator call.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
def sample(checkpoint: str, num: int, out: str | None, grid: str | None, seed: int, batch_size: int, device: str) -> None:
    """Draw images from a trained generator."""
    import torch

    from gans.sampling import generate, load_generator, write_grid, write_images

    if num <= 0:
        raise UserError(f"--num must be > 0, got {num}")
    if batch_size <= 0:
        raise UserError(f"--batch-size must be > 0, got {batch_size}")
    G, cfg, state = load_generator(checkpoint, device)
    images = torch.cat([x.cpu() for x in generate(G, num, seed, batch_size)])
    target = write_images(images, Path(out or f"samples/{cfg.run_name}.npz"))
    click.echo(f"wrote {num} images from step {state['step']} to {target}")
    if grid:
        click.echo(f"grid: {write_grid(images, Path(grid))}")


@cli.command(context_settings=CONTEXT)
@click.option("--steps", type=int, default=600, show_default=True, help="Generator steps per system.")
@click.option("--width", type=float, default=0.25, show_default=True, help="Channel multiplier.")
@click.option("--batch-size", type=int, default=32, show_default=True, help="Batch size.")
@click.option("--out", type=click.Path(), default="runs/quickstart", show_default=True, help="Parent of the run directories.")
@click.option("--samples", type=click.Path(), default="samples", show_default=True, help="Where the final grids go.")
@click.option("--presets", default="wgan-gp,sngan,msngan", show_default=True, help="Comma-separated systems.")
@click.option("--progress/--no-progress", default=True, help="Show progress bars.")
def quickstart(steps: int, width: float, batch_size: int, out: str, samples: str, presets: str, progress: bool) -> None:
    """Train WGAN-GP, SNGAN and MSNGAN briefly on the built-in shapes (offline, CPU) and write
    one sample grid per system to SAMPLES/PRESET.png.

    Uses lr 1e-3, betas (0.5, 0.9) and 2 critic steps so a few hundred steps show learning; the
    paper's settings (gans train --setting A..F) need far longer runs.
    """
    from gans.run import quickstart as run_quickstart

    names = [p.strip() for p in presets.split(",") if p.strip()]
    for row in run_quickstart(names, steps, width, batch_size, Path(out), Path(samples), progress):
        click.echo(row)


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors become one line on stderr and exit code 2 (``--debug`` shows all)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        cli.main(args=argv, prog_name="gans", standalone_mode=False)
    except click.UsageError as e:
        if debug:
            raise
        if isinstance(e, _NO_ARGS_IS_HELP):  # a bare `gans` prints help, as usual
            click.echo(e.ctx.get_help() if e.ctx else e.format_message())
            return 0
        cmd = e.ctx.command_path if e.ctx else "gans"
        click.echo(f"{cmd}: error: {e.format_message()} (see {cmd} --help)", err=True)
        return 2
    except (UserError, click.ClickException) as e:
        if debug:
            raise
        message = e.format_message() if isinstance(e, click.ClickException) else str(e)
        click.echo(f"gans: error: {message}", err=True)
        return 2
    except Interrupted as e:
        click.echo(f"gans: {e}", err=True)
        return 128 + e.signum
    except click.exceptions.Abort:
        click.echo("gans: aborted", err=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
