"""Resuming: from a run directory or one of its checkpoint files; what the run did after that
checkpoint is set aside beside it, never lost; a refused resume leaves no lock behind."""
import pytest
import torch

from gans.core.errors import UserError
from gans.runs import checkpoint as ckpt_io
from gans.runs import layout
from gans.runs.layout import DROPPED_GLOB, LOCK_FILE, METRICS
from gans.runs.lock import holds, unlock_run
from gans.runs.machines import read_machines
from gans.runs.runlog import read_jsonl
from gans.training.launch import resume_run, start_run

STEPS = dict(steps=6, checkpoint_every=2, log_every=1, deterministic=True)


def _train(tiny_cfg, run, **over):
    start_run(tiny_cfg(out=str(run), **{**STEPS, **over})).fit(progress=False)
    unlock_run(run)


def test_resuming_from_an_earlier_checkpoint_sets_aside_the_later_rows_and_checkpoints(tiny_cfg, tmp_path, capsys):
    straight, run = tmp_path / "straight", tmp_path / "run"
    _train(tiny_cfg, straight)
    _train(tiny_cfg, run)
    capsys.readouterr()
    trainer = resume_run(layout.checkpoint_path(run, 2), {})
    (side,) = run.glob(DROPPED_GLOB)
    assert f"resuming from step 2: metrics of steps 3-6 are moved to {side}; checkpoints of steps 4-6 are moved to " \
           f"{side.with_suffix('')}/" in capsys.readouterr().out
    assert [(r["log"], r["step"]) for r in read_jsonl(side)] == [(METRICS, s) for s in (3, 4, 5, 6)]
    assert sorted(p.name for p in side.with_suffix("").iterdir()) == ["ckpt_00000004.pt", "ckpt_00000006.pt"]
    assert [s for s, _ in ckpt_io.list_checkpoints(run)] == [0, 2]
    trainer.fit(progress=False)
    unlock_run(run)
    assert [r["step"] for r in read_jsonl(run / METRICS)] == [1, 2, 3, 4, 5, 6]  # each step once
    a, b = ckpt_io.load_checkpoint(straight)["G"], ckpt_io.load_checkpoint(run)["G"]
    assert all(torch.equal(a[k], b[k]) for k in a)  # the same run again, from step 2
    # where each stretch ran: never trimmed by a resume (the set-aside steps were trained there too)
    rows = read_machines(run)
    assert [r.step for r in rows] == [0, 2] and {(r.device, r.isa) for r in rows} == {("cpu", torch.backends.cpu.get_cpu_capability())}


def test_a_corrupt_checkpoint_names_the_command_that_resumes_from_the_previous_good_one(tiny_cfg, tmp_path, capsys):
    run = tmp_path / "run"
    _train(tiny_cfg, run)
    latest = layout.checkpoint_path(run, 6)
    torn = latest.read_bytes()[:1000]  # a kill cut the save short
    latest.write_bytes(torn)
    with pytest.raises(UserError) as info:
        resume_run(run, {"steps": 8})
    good = layout.checkpoint_path(run, 4)
    assert str(info.value) == (f"{latest} is truncated or corrupt (RuntimeError); resume from the previous good "
                               f"checkpoint with: gans train --resume {good}")
    assert not holds(run)
    capsys.readouterr()
    resume_run(good, {"steps": 8}).fit(progress=False)
    unlock_run(run)
    (side,) = run.glob(DROPPED_GLOB)
    assert "metrics of steps 5-6" in capsys.readouterr().out
    assert (side.with_suffix("") / latest.name).read_bytes() == torn  # kept as it was, for a post-mortem
    assert ckpt_io.load_checkpoint(run)["step"] == 8 and [r["step"] for r in read_jsonl(run / METRICS)] == list(range(1, 9))


def test_a_folder_that_is_not_a_run_gets_no_lock(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    with pytest.raises(UserError, match="no checkpoint in"):
        resume_run(folder, {})
    assert not (folder / LOCK_FILE).exists() and not holds(folder)


def test_a_refused_resume_lets_go_of_the_run(tiny_cfg, tmp_path):
    run = tmp_path / "run"
    _train(tiny_cfg, run)
    with pytest.raises(UserError, match="cannot change --norm"):
        resume_run(run, {"norm": "bn", "steps": 8})
    assert not holds(run)


def test_a_checkpoint_outside_a_run_is_refused_with_the_layout(tiny_cfg, tmp_path):
    run = tmp_path / "run"
    _train(tiny_cfg, run)
    loose = tmp_path / "loose.pt"
    loose.write_bytes(layout.checkpoint_path(run, 2).read_bytes())
    with pytest.raises(UserError, match="must be in its run's checkpoints/ folder"):
        resume_run(loose, {})
    assert not (tmp_path / LOCK_FILE).exists()
