"""Option groups that several commands share: every training field as a flag, wandb's, and --threads."""
from __future__ import annotations

import os
from pathlib import Path

import click

from gans import config as C

def threads_option(per_run: bool = False):
    """--threads N: what a command's torch may use (gans.core.threads picks the default)."""
    return click.option("--threads", type=click.IntRange(min=1), help=(
        f"CPU threads for torch{' in each run' if per_run else ''}. [default: $OMP_NUM_THREADS if set, else the "
        f"cores idle now (the cores minus the 1-minute load average, at least 1){', shared among --jobs' if per_run else ''}]"))


def set_threads(requested: int | None) -> int:
    """Pick and set this process's threads, print the choice (once, not per torchrun rank) and return it."""
    from gans.core.threads import use

    choice = use(requested)
    if os.environ.get("RANK", "0") == "0":
        click.echo(choice.line())
    return choice.count


def train_options(f):
    """One option per TrainConfig field: the flag, type and help all come from gans.config."""
    for name, fld in reversed(list(C.FIELDS.items())):
        decls = [C.flag(name)]
        kwargs: dict = {"help": C.help_text(name), "default": None}
        if C.choices(name):
            kwargs["type"] = click.Choice(C.choices(name))
        elif fld.type == "bool":
            decls = [f"{C.flag(name)}/--no-{name.replace('_', '-')}"]
        elif fld.type == "int":
            kwargs["type"] = int
        elif fld.type == "float":
            kwargs["type"] = float
        elif name == "betas":
            kwargs.update(type=float, nargs=2)
        f = click.option(*decls, **kwargs)(f)
    return f


def wandb_options(f):
    opts = [
        click.option("--wandb", "wandb_on", is_flag=True, help="Log to Weights & Biases (off by default)."),
        click.option("--wandb-project", help="wandb project. [default: gans]"),
        click.option("--wandb-entity", help="wandb entity (user or team). [default: yours]"),
        click.option("--wandb-group", help="wandb group. [default: the preset]"),
        click.option("--wandb-mode", type=click.Choice(["offline", "online", "disabled"]),
                     help="offline needs no network; upload later with `wandb sync RUN/wandb/offline-run-*`. "
                          "[default: offline]"),
        click.option("--wandb-tags", help="Comma-separated tags."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def say_wandb(run, mode: str) -> None:
    if mode == "offline" and run is not None and getattr(run, "dir", None):
        click.echo(f"wandb: offline run saved; upload it with `wandb sync {Path(run.dir).parent}`")


