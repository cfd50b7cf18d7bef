"""`gans compare`'s files go through write_atomic: a refused write keeps the previous report whole."""
import errno
import os

import pytest

from gans.analysis.compare import compare
from gans.core import files
from gans.core.files import WriteFailed
from tests.analysis.fake_runs import write_run


def test_a_refused_report_write_leaves_the_previous_report_and_one_line(tmp_path, monkeypatch):
    numbers = {"fid": [40.0, 41.0], "kid_mean": [0.03, 0.031]}
    runs = [write_run(tmp_path / "runs", "sngan", seed, numbers) for seed in (0, 1)]
    out = tmp_path / "report"
    compare(runs, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = files.os.fsync

    def fsync(fd):
        if ".report.html." in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    with pytest.raises(WriteFailed) as info:
        compare(runs, out)
    assert str(info.value).startswith(f"could not write {out / 'report.html'}: No space left on device; free space")
    assert (out / "report.html").read_bytes() == before["report.html"]
    assert sorted(p.name for p in out.iterdir()) == sorted(before)  # no temporary file left
