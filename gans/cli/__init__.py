"""The `gans` command: one module per command group, each a thin layer over the libraries below."""
from gans.cli import evaluate, study, train  # noqa: F401  (each module registers its commands)
from gans.cli.app import cli, main

__all__ = ["cli", "main"]
