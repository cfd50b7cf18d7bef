"""The run's append-only logs: a full disk mid-append is one line naming the file, a torn last row
is dropped on reading and trimmed on resume, so the run continues with each step logged once."""
import errno
import json

import pytest
import torch

from gans.core.files import WriteFailed
from gans.runs import checkpoint as ckpt_io
from gans.runs.lock import unlock_run
from gans.runs.layout import DIAGNOSTICS, EVALS, METRICS
from gans.runs.runlog import RunLog, read_jsonl
from gans.training.launch import resume_run, start_run


def test_a_torn_last_row_is_left_out_and_a_torn_middle_row_is_an_error(tmp_path):
    path = tmp_path / METRICS
    path.write_text('{"step": 1}\n{"step": 2}\n{"step": 3, "lo')
    assert read_jsonl(path) == [{"step": 1}, {"step": 2}]
    path.write_text('{"step": 1}\n{"ste\n{"step": 3}\n')
    with pytest.raises(json.JSONDecodeError):
        read_jsonl(path)


def test_trim_rewrites_a_torn_log_whole(tmp_path):
    path = tmp_path / METRICS
    path.write_text('{"step": 1}\n{"step": 2}\n{"step": 3, "lo')
    with RunLog(tmp_path, 2) as log:
        log.train(3, {"loss": 0.5})
    assert [r["step"] for r in read_jsonl(path)] == [1, 2, 3]
    assert path.read_text().count("\n") == 3 and not list(tmp_path.glob("*.tmp"))


def test_a_full_disk_on_the_metrics_log_is_one_line_and_the_run_resumes(tiny_cfg, tmp_path, monkeypatch):
    steps = dict(steps=6, checkpoint_every=2, log_every=1, deterministic=True)
    straight = start_run(tiny_cfg(out=str(tmp_path / "straight"), **steps))
    straight.fit(progress=False)

    run = tmp_path / "full"
    trainer = start_run(tiny_cfg(out=str(run), **steps))
    real = RunLog.train

    def train(self, step, values):
        if step == 5:  # half a row reaches the file, then the disk is full
            self.metrics.write('{"step": 5, "lo')
            self.metrics.flush()
            raise WriteFailed(run / METRICS, OSError(errno.ENOSPC, "No space left on device"))
        return real(self, step, values)

    with monkeypatch.context() as m:
        m.setattr(RunLog, "train", train)
        with pytest.raises(WriteFailed, match=f"could not write {run / METRICS}: No space left on device; free space"):
            trainer.fit(progress=False)
    assert ckpt_io.load_checkpoint(run)["step"] == 4
    unlock_run(run)
    resumed = resume_run(run, {})
    resumed.fit(progress=False)
    assert [r["step"] for r in read_jsonl(run / METRICS)] == [1, 2, 3, 4, 5, 6]
    for net in ("G", "D"):
        a, b = ckpt_io.load_checkpoint(tmp_path / "straight")[net], ckpt_io.load_checkpoint(run)[net]
        assert all(torch.equal(a[k], b[k]) for k in a)
    for d in (run, tmp_path / "straight"):
        unlock_run(d)


def test_the_append_itself_failing_becomes_write_failed(tmp_path):
    class Full:
        name = str(tmp_path / METRICS)

        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(WriteFailed, match="No space left on device; free space"):
        RunLog._write(Full(), {"step": 1})


def test_rows_past_the_resume_step_move_to_a_side_file_with_their_log_named(tmp_path):
    from gans.runs.runlog import set_aside

    (tmp_path / METRICS).write_text("".join(json.dumps({"step": s, "loss": s}) + "\n" for s in (10, 20, 30, 40)))
    (tmp_path / EVALS).write_text(json.dumps({"step": 20, "fid": 9.0}) + "\n" + json.dumps({"step": 40, "fid": 8.0}) + "\n")
    (tmp_path / DIAGNOSTICS).write_text(json.dumps({"step": 10}) + "\n")
    moved = set_aside(tmp_path, 20)
    assert moved.describe() == f"metrics and evaluations of steps 30-40 are moved to {moved.path}"
    assert moved.path.parent == tmp_path and moved.path.name.startswith("dropped-")
    assert read_jsonl(moved.path) == [{"log": METRICS, "step": 30, "loss": 30}, {"log": METRICS, "step": 40, "loss": 40},
                                      {"log": EVALS, "step": 40, "fid": 8.0}]
    assert [r["step"] for r in read_jsonl(tmp_path / METRICS)] == [10, 20]
    assert [r["step"] for r in read_jsonl(tmp_path / EVALS)] == [20]
    assert set_aside(tmp_path, 20) is None and len(list(tmp_path.glob("dropped-*"))) == 1  # nothing more to move
