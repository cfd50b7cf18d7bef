"""Option groups that several commands share: every training field as a flag, and wandb's."""
from __future__ import annotations

from pathlib import Path

import click

from gans import config as C


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


