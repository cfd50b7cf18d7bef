"""`gans study`: parsing only; the study package merges the file, the flags and a stored study."""
from __future__ import annotations

from pathlib import Path

import click

from gans.cli.app import CONTEXT, cli
from gans.cli.options import threads_option


@cli.command(context_settings=CONTEXT)
@click.option("--config", "config_file", type=click.Path(), help="Study TOML file (see the README's example).")
@click.option("--out", type=click.Path(), default="runs/study", show_default=True,
              help="Study directory; run the command again with only --out to continue a stopped study.")
@click.option("--systems", help="Comma-separated presets (each a system as it is), instead of the file's.")
@click.option("--seeds", help="Comma-separated training seeds. [default: 0,1,2]")
@click.option("--jobs", type=click.IntRange(min=1), help="Runs at once; on this machine the idle CPU cores are shared among them. [default: 1]")
@threads_option(per_run=True)
@click.option("--executor", type=click.Choice(["local", "slurm"]),
              help="local: subprocesses on this machine; slurm: a SLURM cluster ([slurm] table). [default: local]")
@click.option("--train", "train_pairs", multiple=True, help="KEY=VALUE train flag for every run, e.g. --train width=0.25.")
@click.option("--eval", "eval_pairs", multiple=True, help="KEY=VALUE eval setting: num-samples, repeats, reference, "
                                                         "reference-count, inception-weights, batch-size, ...")
def study(config_file: str | None, out: str, systems: str | None, seeds: str | None, jobs: int | None,
          executor: str | None, train_pairs: tuple[str, ...], eval_pairs: tuple[str, ...], threads: int | None) -> None:
    """Train systems x seeds, score each run with gans eval's engine, and write the comparison
    report to OUT/report. Finished runs are skipped and stopped ones resumed.

    \b
    Examples:
      gans study --config study.toml --out runs/study --jobs 2
      gans study --systems wgan-gp,sngan,msngan --seeds 0,1,2 --train steps=2000 --train width=0.25
      gans study --out runs/study          (continue a stopped study)
    """
    from gans.study.runner import run_study
    from gans.study.options import from_options

    chosen = from_options(Path(out), config_file, systems, seeds, jobs, executor, train_pairs, eval_pairs)
    run_study(Path(out), chosen, say=click.echo, threads=threads)
    click.echo((Path(out) / "report" / "table.md").read_text().rstrip())
