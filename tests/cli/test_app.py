"""The `gans` group itself: --debug wherever it is written, and --version."""
from importlib.metadata import version

import pytest

from gans.cli import main
from gans.core.errors import UserError


@pytest.mark.parametrize("argv", [["--debug", "train", "--resume", "NOWHERE"],
                                  ["train", "--debug", "--resume", "NOWHERE"],
                                  ["train", "--resume", "NOWHERE", "--debug"]])
def test_debug_anywhere_shows_the_error_itself(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="--resume NOWHERE: no such run directory"):
        main(argv)


def test_without_debug_the_same_error_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--resume", "NOWHERE"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such run directory" in err


def test_version_is_the_installed_package_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"gans {version('gans')}\n"
