"""The `gans` group and its entry point: a user error is one line on stderr and exit code 2.

Nothing heavy is imported at module level (the norm and loss registries name their entries
without importing torch), so help answers at once; torch loads when a command runs.
"""
from __future__ import annotations

import sys

import click

from gans import __version__
from gans.core.errors import Interrupted, UserError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# click >= 8.2 signals a bare group call with this error; older versions print help themselves.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


@click.group(context_settings=CONTEXT)
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors (anywhere on the line).")
@click.version_option(__version__, prog_name="gans", message="%(prog)s %(version)s")
def cli(debug: bool) -> None:
    """Train and compare GAN discriminators that differ in their normalization:
    WGAN-GP (batch norm + gradient penalty), SNGAN (spectral norm), MSNGAN (mean spectral norm)
    and the other norms of the registry.
    """


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors become one line on stderr and exit code 2 (``--debug`` shows all)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    end = argv.index("--") if "--" in argv else len(argv)  # what follows "--" is an argument, never a flag
    debug = "--debug" in argv[:end]
    if debug:  # --debug is the group's; after the subcommand click would refuse it as unknown
        argv = ["--debug", *(a for a in argv[:end] if a != "--debug"), *argv[end:]]
    try:
        cli.main(args=argv, prog_name="gans", standalone_mode=False, obj={"argv": argv})
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
