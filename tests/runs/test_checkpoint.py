"""A checkpoint the disk refuses: one line, the last good checkpoint intact, and the run resumes from it."""
import errno
import os

import pytest
import torch

from gans.core import files
from gans.core.files import WriteFailed
from gans.runs import checkpoint as ckpt_io
from gans.runs import layout
from gans.runs.lock import unlock_run
from gans.training.launch import resume_run, start_run


def _disk_full_at(monkeypatch, name: str) -> None:
    """fsync refuses the temporary file of ``name``, as a full disk does (the write is buffered until then)."""
    real = files.os.fsync

    def fsync(fd):
        if f".{name}." in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)


def test_a_refused_checkpoint_stops_in_one_line_and_the_run_resumes_from_the_last_good_one(tiny_cfg, tmp_path, monkeypatch):
    steps = dict(steps=6, checkpoint_every=2, deterministic=True)
    straight = start_run(tiny_cfg(out=str(tmp_path / "straight"), **steps))
    straight.fit(progress=False)

    run = tmp_path / "full"
    trainer = start_run(tiny_cfg(out=str(run), **steps))
    with monkeypatch.context() as m:
        _disk_full_at(m, "ckpt_00000004.pt")
        with pytest.raises(WriteFailed) as info:
            trainer.fit(progress=False)
    target = layout.checkpoint_path(run, 4)
    assert str(info.value) == (f"could not write {target}: No space left on device; free space and run again to "
                               "continue from the last checkpoint")
    assert [s for s, _ in ckpt_io.list_checkpoints(run)] == [0, 2]
    assert not list(run.rglob("*.tmp"))
    assert ckpt_io.load_checkpoint(run)["step"] == 2

    resumed = resume_run(run, {})
    assert resumed.step == 2
    resumed.fit(progress=False)
    for net in ("G", "D"):
        a, b = ckpt_io.load_checkpoint(tmp_path / "straight")[net], ckpt_io.load_checkpoint(run)[net]
        assert all(torch.equal(a[k], b[k]) for k in a)
    steps_logged = [line.split('"step": ')[1].split(",")[0] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps_logged == [str(s) for s in range(1, 7)]
    for d in (run, tmp_path / "straight"):
        unlock_run(d)


def test_pruning_keeps_the_untrained_step_0_checkpoint(tiny_cfg, tmp_path):
    run = tmp_path / "run"
    start_run(tiny_cfg(out=str(run), steps=8, checkpoint_every=2, keep=2)).fit(progress=False)
    assert [s for s, _ in ckpt_io.list_checkpoints(run)] == [0, 6, 8]
