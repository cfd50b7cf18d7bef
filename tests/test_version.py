"""gans.__version__ is pyproject's version, installed or not."""
import importlib.metadata
import tomllib
from pathlib import Path

import gans

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _declared() -> str:
    return tomllib.loads(PYPROJECT.read_text())["project"]["version"]


def test_version_is_pyprojects():
    assert gans.__version__ == _declared()


def test_uninstalled_checkout_reads_pyproject(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert gans._version() == _declared()
