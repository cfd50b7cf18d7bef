"""Core of the toolkit: config, data, trainer, checkpoints, sampling."""


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
