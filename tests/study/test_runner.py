"""`gans study` end to end through submitit's local executor, and continuing a stopped study."""
import json
import shutil

import pytest
import torch

from gans.runs import checkpoint as ckpt_io
from gans.cli import main
from gans.core.errors import UserError
from gans.study.options import load_or_create
from gans.study.spec import Study, run_configs
from tests.study.tiny import tiny_tables

STUDY = """
seeds = [0, 1]
jobs = 2
[systems]
sngan = {}
msngan-wgan = { preset = "msngan", loss = "wgan", g-init = "normal02" }
""" + tiny_tables("n-critic = 1\nsteps = 4")


def test_study_file_round_trips_and_names_systems(tmp_path):
    study = Study.from_toml(STUDY, "s.toml")
    assert Study.from_toml(study.to_toml(), "again.toml") == study
    cfgs = run_configs(study, tmp_path)
    assert [c.run_name for c in cfgs] == ["sngan-seed0", "msngan-wgan-seed0", "sngan-seed1", "msngan-wgan-seed1"]  # seed by seed
    wgan = cfgs[1]
    assert (wgan.preset, wgan.label, wgan.loss, wgan.norm) == ("msngan", "msngan-wgan", "wgan", "msn")
    assert wgan.d_pass == "joint" and cfgs[0].d_pass == "separate"
    assert all(c.width == 0.0625 and c.out.startswith(str(tmp_path / "runs")) for c in cfgs)


@pytest.mark.parametrize("text,message", [
    ("seeds = [0]\n", "'systems' must list presets"),
    ('systems = ["nope"]\n', "unknown preset 'nope'"),
    ('systems = ["sngan"]\ncolour = 1\n', "unknown key 'colour'"),
    ('systems = ["sngan"]\n[train]\nseed = 3\n', "cannot set 'seed'"),
    ('systems = ["sngan"]\n[eval]\nfoo = 3\n', "[eval] has no key 'foo'"),
    ('systems = ["sngan"]\n[train]\nlr = -1\n', "--lr must be > 0"),
])
def test_bad_study_files_are_one_line_errors(tmp_path, text, message):
    with pytest.raises(UserError, match=message.replace("[", r"\[")):
        study = Study.from_toml(text, "s.toml")
        study.check()
        run_configs(study, tmp_path)


def test_a_different_study_in_the_same_directory_is_refused(tmp_path):
    study = Study.from_toml(STUDY, "s.toml")
    (tmp_path / "study.toml").write_text(study.to_toml())
    other = Study.from_toml(STUDY.replace("steps = 4", "steps = 8"), "s.toml")
    with pytest.raises(UserError, match="holds a different study"):
        load_or_create(tmp_path, other)
    more_jobs = Study.from_toml(STUDY.replace("jobs = 2", "jobs = 4"), "s.toml")
    assert load_or_create(tmp_path, more_jobs) is more_jobs  # how many at once is not the experiment
    assert load_or_create(tmp_path, None) == study


@pytest.mark.slow
def test_study_runs_end_to_end_and_continues_where_it_stopped(capsys, tmp_path, inception_files):
    config = tmp_path / "study.toml"
    config.write_text(STUDY)
    out = tmp_path / "study"
    weights = f"inception-weights={inception_files['torch-fidelity']}"
    assert main(["study", "--config", str(config), "--out", str(out), "--eval", weights]) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "4 runs, 0 done, 4 to run, 2 at a time (local)" in printed
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert runs == ["msngan-wgan-seed0", "msngan-wgan-seed1", "sngan-seed0", "sngan-seed1"]
    for run in runs:
        report = json.loads((out / "runs" / run / "eval.json").read_text())
        # the untrained generator (step 0) scored beside the final one, as the baseline of FID / untrained
        assert [r["step"] for r in report["results"]] == [0, 4] and report["protocol"]["num_samples"] == 10
    # the untrained generator depends on the seed and init, not the critic: scored once per seed, shared by both
    # systems (msngan-wgan takes sngan's generator init, N(0, 0.02), so that its generator is sngan's)
    assert len(list((out / "untrained").glob("*.json"))) == 2
    first = {run: json.loads((out / "runs" / run / "eval.json").read_text())["results"][0] for run in runs}
    for seed in (0, 1):
        a, b = first[f"sngan-seed{seed}"], first[f"msngan-wgan-seed{seed}"]
        assert a["summary"]["fid"] == b["summary"]["fid"] and a["system"] == "sngan" and b["system"] == "msngan-wgan"
        assert b["source"].endswith(f"msngan-wgan-seed{seed}/checkpoints/ckpt_00000000.pt")
    assert first["sngan-seed0"]["summary"]["fid"] != first["sngan-seed1"]["summary"]["fid"]
    table = (out / "report" / "table.md").read_text()
    assert "| sngan | sn | hinge | 0 1 |" in table and "| msngan-wgan | msn | wgan | 0 1 |" in table
    assert (out / "report" / "report.html").stat().st_size > 1000
    assert list((out / "jobs").glob("*_log.out"))  # submitit ran them

    # a study stopped part-way: one run killed after its step-2 checkpoint, the others finished
    stopped = out / "runs" / "sngan-seed1"
    final = ckpt_io.load_checkpoint(stopped)
    (stopped / "checkpoints" / "ckpt_00000004.pt").unlink()
    (stopped / "eval.json").unlink()
    # a finished run kept as its small files alone (checkpoints removed): still done, still in the report
    shutil.rmtree(out / "runs" / "msngan-wgan-seed0" / "checkpoints")
    untouched = {p: p.stat().st_mtime_ns for run in runs if run != "sngan-seed1"
                 for p in (out / "runs" / run).rglob("*") if p.is_file()}
    assert main(["study", "--out", str(out)]) == 0  # the stored study, continued
    printed = capsys.readouterr().out
    assert "4 runs, 3 done, 1 to run" in printed and "[1/1] sngan-seed1" in printed
    assert {p: p.stat().st_mtime_ns for p in untouched} == untouched  # finished runs were not redone
    resumed = ckpt_io.load_checkpoint(stopped)
    assert all(torch.equal(final["G"][k], resumed["G"][k]) for k in final["G"])
    logs = " ".join(p.read_text() for p in (out / "jobs").glob("*_log.out"))
    assert f"resuming {stopped} from step 2" in logs  # resumed, not restarted
    assert [r["step"] for r in json.loads((stopped / "eval.json").read_text())["results"]] == [0, 4]
    assert "| msngan-wgan | msn | wgan | 0 1 |" in (out / "report" / "table.md").read_text()


def test_a_failed_job_is_one_line_naming_the_run_and_its_error(capsys, tmp_path, inception_files):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")  # there, so the study starts; unreadable, so the job fails
    config = tmp_path / "study.toml"
    text = "\n".join(line for line in STUDY.splitlines() if not line.startswith("msngan-wgan = "))
    text = text.replace('dataset = "shapes[:64]"', f'dataset = "{broken}"').replace("seeds = [0, 1]", "seeds = [0]")
    assert "msngan-wgan" not in text and str(broken) in text and "seeds = [0]\n" in text
    config.write_text(text)
    weights = f"inception-weights={inception_files['torch-fidelity']}"
    assert main(["study", "--config", str(config), "--out", str(tmp_path / "s"), "--eval", weights]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "1 of 1 runs failed (sngan-seed0: UserError: " in captured.err
    assert "is not a readable .npz file" in captured.err and "run `gans study --out" in captured.err
    assert "sngan-seed0: failed (UserError: " in captured.out  # the per-run status


def test_a_refused_study_toml_write_is_one_line_and_keeps_the_previous_file(tmp_path, capsys, monkeypatch):
    import errno
    import os

    from gans.core import files

    out = tmp_path / "s"
    out.mkdir()
    (out / "study.toml").write_text(Study.from_toml(STUDY, "s.toml").to_toml())
    before = (out / "study.toml").read_text()
    real = files.os.fsync

    def fsync(fd):
        if ".study.toml." in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    assert main(["study", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (f"gans: error: could not write {out / 'study.toml'}: No space left on device; free space and run "
                   "again to continue from the last checkpoint\n")
    assert (out / "study.toml").read_text() == before and sorted(p.name for p in out.iterdir()) == [".lock", "study.toml"]
