"""Core of the toolkit: config, data, trainer, checkpoints, sampling.

Python API: ``gans.load_run(path)`` -> :class:`gans.Run` (a trained generator, its config and evaluations,
and ``run.sample(n, seed)``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any


def _version() -> str:
    """pyproject's version, one source: the installed metadata, else (a checkout on sys.path but not
    installed) the pyproject.toml beside the package."""
    from importlib.metadata import PackageNotFoundError, version
    from pathlib import Path

    try:
        return version("gans")
    except PackageNotFoundError:
        import tomllib

        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        if pyproject.is_file():
            return tomllib.loads(pyproject.read_text())["project"]["version"]
        return "0+unknown"


__version__ = _version()


# The Python API (gans.runs.loaded), imported on first use: `import gans` stays free of torch, so the
# CLI's --help and --version answer at once.
__all__ = ["Run", "load_run", "__version__"]
_LAZY = {"Run": "gans.runs.loaded", "load_run": "gans.runs.loaded"}

if TYPE_CHECKING:
    from gans.runs.loaded import Run, load_run


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'gans' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
