"""GANS_CHAOS: named points where a test kills the process."""
import signal
import subprocess
import sys
from collections import Counter

import pytest

from gans.core import chaos


def test_specs_parse_and_bad_ones_say_so():
    assert chaos.parse("write:ckpt_*.pt@2, evaluate") == [chaos.KillAt("write:ckpt_*.pt", 2), chaos.KillAt("evaluate", 1)]
    with pytest.raises(ValueError, match="PATTERN@N"):
        chaos.parse("evaluate@0")


def test_a_point_kills_only_at_the_passage_named(monkeypatch):
    killed = []
    monkeypatch.setattr(chaos.os, "kill", lambda pid, sig: killed.append(sig))
    monkeypatch.setattr(chaos, "_hits", Counter())
    monkeypatch.delenv(chaos.ENV, raising=False)
    for _ in range(3):
        chaos.point("evaluate")
    assert killed == [] and not chaos._hits  # without the variable: no kill, and no passage counted
    monkeypatch.setenv(chaos.ENV, "evaluate@2")
    chaos.point("write:ckpt_00000002.pt")  # another point
    chaos.point("evaluate")  # the first passage
    assert killed == []
    chaos.point("evaluate")
    assert killed == [signal.SIGKILL]


def test_the_named_passage_kills_and_no_earlier_one():
    code = ("from gans.core import chaos\n"
            "for i in range(5):\n"
            "    print(i, flush=True)\n"
            "    chaos.point('write:ckpt_00000002.pt')\n")
    env = {"GANS_CHAOS": "write:ckpt_*.pt@3", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == -signal.SIGKILL and done.stdout.split() == ["0", "1", "2"]
