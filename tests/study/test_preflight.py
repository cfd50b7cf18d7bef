"""Bad study input is one line and exit 2 before any work; an evaluation of hours says so up front."""
import time

import numpy as np
import pytest

from gans.cli import main
from gans.core.errors import UserError
from gans.study import preflight
from gans.study.preflight import check_inputs, evaluation_estimate, image_count
from gans.study.spec import Study, run_configs


def _study(tmp_path, **over):
    over = {"seeds": [0], **over, "train": {"dataset": "shapes", "device": "cpu", **over.get("train", {})}}
    study = Study(systems={"sngan": {}}, **over)
    return study, run_configs(study, tmp_path / "s")


@pytest.mark.parametrize("over,message", [
    ({"train": {"dataset": "nope/missing.npz"}}, "system sngan's dataset 'nope/missing.npz' does not exist; pass shapes"),
    ({"train": {"dataset": "missing.npz[:100]"}}, "system sngan's dataset 'missing.npz[:100]' does not exist"),
    ({"eval": {"reference": "stats/missing.npz"}}, "[eval] reference 'stats/missing.npz' does not exist; pass a data"),
    ({"train": {"eval_every": 10, "eval_reference": "held-out"}}, "eval-reference 'held-out' does not exist"),
    ({"eval": {"inception_weights": "w/missing.pth"}}, "inception-weights w/missing.pth does not exist"),
])
def test_inputs_that_are_not_there_are_named(tmp_path, over, message):
    study, cfgs = _study(tmp_path, **over)
    with pytest.raises(UserError, match=message.replace("[", r"\[")):
        check_inputs(study, cfgs)


def test_names_slices_and_existing_files_pass(tmp_path):
    np.savez(tmp_path / "x.npz", x=np.zeros((5, 3, 8, 8), np.uint8))
    study, cfgs = _study(tmp_path, train={"dataset": f"{tmp_path / 'x.npz'}[:4]"}, eval={"reference": "cifar10-test"})
    check_inputs(study, cfgs)


def test_slurm_without_sbatch_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(preflight.shutil, "which", lambda name: None)
    study, cfgs = _study(tmp_path, executor="slurm")
    with pytest.raises(UserError, match="--executor slurm: no SLURM here \\(sbatch is not on PATH\\)"):
        check_inputs(study, cfgs)


@pytest.mark.parametrize("args,message", [
    (["--train", "dataset=gone.npz"], "system sngan's dataset 'gone.npz' does not exist"),
    (["--eval", "reference=gone/ref.npz"], "[eval] reference 'gone/ref.npz' does not exist"),
    (["--executor", "slurm"], "--executor slurm: no SLURM here"),
])
def test_the_cli_refuses_in_seconds_before_any_work(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.setattr(preflight.shutil, "which", lambda name: None)
    out = tmp_path / "s"
    t0 = time.perf_counter()
    assert main(["study", "--systems", "sngan", "--seeds", "0", "--out", str(out), *args]) == 2
    assert time.perf_counter() - t0 < 10
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not out.exists()  # nothing written: no study.toml, no reference statistics, no run


def test_a_slurm_table_with_an_unknown_key_is_refused_by_the_cli(tmp_path, capsys):
    config = tmp_path / "s.toml"
    config.write_text('systems = ["sngan"]\n[slurm]\npartition = "gpu"\npartitoin = "gpu"\n')
    assert main(["study", "--config", str(config), "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[slurm] has no key 'partitoin'; valid keys (submitit's SlurmExecutor): " in err


def test_image_counts_are_read_without_loading(tmp_path):
    np.savez_compressed(tmp_path / "x.npz", x=np.zeros((37, 3, 8, 8), np.uint8))
    np.savez(tmp_path / "stats.npz", mu=np.zeros(3), sigma=np.eye(3))
    assert image_count(str(tmp_path / "x.npz")) == 37
    assert image_count(f"{tmp_path / 'x.npz'}[10:]") == 27
    assert image_count(str(tmp_path / "stats.npz")) is None
    assert (image_count("cifar10"), image_count("cifar10-test[:-1000]"), image_count("shapes[:64]")) == (50000, 9000, 64)


def test_an_evaluation_of_hours_on_a_cpu_says_so_with_the_settings_that_shrink_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GANS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(preflight.os, "cpu_count", lambda: 2)
    study, cfgs = _study(tmp_path, seeds=[0, 1, 2], eval={"reference": "cifar10", "num_samples": 10000})
    note = evaluation_estimate(study, cfgs)
    # 50,000 reference + 3 x 10,000 samples at 6 images/s per core on 2 cores: 80,000 / 12 s = 1.9 h
    assert note.startswith("note: evaluation alone will take about 1.9 h on cpu (80,000 images through Inception "
                           "at ~12 images/s; reference cifar10: 50,000 images; 3 runs x 10,000 samples)")
    assert "--eval reference-count=N and --eval num-samples=N" in note
    small, cfgs = _study(tmp_path, eval={"reference": "cifar10", "reference_count": 1000, "num_samples": 1000})
    assert evaluation_estimate(small, cfgs) is None
