"""gans.load_run: a trained run as a generator, its config and records, and seeded uint8 samples."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

import gans
from gans.config import resolve
from gans.core.errors import UserError
from gans.data.shapes import make_shapes
from gans.eval.protocol import Protocol
from gans.eval.records import Draw, Report, Summary, Weights
from gans.eval.report import write_json
from gans.runs import checkpoint as ckpt_io
from gans.runs import layout
from gans.runs.eval_report import RunResult
from gans.runs.log_records import EvalPoint
from gans.runs.sampling import generate, load_generator
from gans.training.trainer import Trainer


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two tiny sngan runs of 4 steps (checkpoints at 0, 2, 4): one plain, one that keeps an EMA generator.
    PyTorch's generator init: the preset's N(0, 0.02) at width 1/16 draws one grey image for every z."""
    root = tmp_path_factory.mktemp("loaded")
    data = root / "data.npz"
    np.savez(data, x=make_shapes(64, size=16, seed=1).numpy())
    flags = {"preset": "sngan", "dataset": str(data), "image_size": 16, "width": 1 / 16, "z_dim": 8, "batch_size": 8,
             "n_critic": 1, "g_init": "torch", "steps": 4, "device": "cpu", "checkpoint_every": 2}
    Trainer(resolve({**flags, "out": str(root / "plain")})).fit(progress=False)
    Trainer(resolve({**flags, "out": str(root / "ema"), "ema_decay": 0.5})).fit(progress=False)
    return root / "plain", root / "ema"


def _weights(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in module.state_dict().items()}


def test_sample_is_uint8_nchw_and_fixed_by_seed(runs):
    run = gans.load_run(runs[0], device="cpu")
    assert run.step == 4 and run.checkpoint.name == "ckpt_00000004.pt" and run.run_dir == runs[0]
    assert run.config.preset == "sngan" and run.config.image_size == 16
    assert not run.generator.training and run.device == torch.device("cpu")
    before = _weights(run.generator)
    x = run.sample(5, seed=3)
    assert x.shape == (5, 3, 16, 16) and x.dtype == torch.uint8 and x.device.type == "cpu"
    assert torch.equal(x, run.sample(5, seed=3)) and torch.equal(x, run.sample(5, seed=3, batch_size=2))
    assert not torch.equal(x, run.sample(5, seed=4))
    # sampling moves nothing (no power-iteration step) and leaves eval mode as it was
    assert all(torch.equal(v, _weights(run.generator)[k]) for k, v in before.items()) and not run.generator.training
    # the images `gans sample` and `gans eval` draw for that seed
    G, _, _ = load_generator(runs[0], "cpu")
    assert torch.equal(x, torch.cat(list(generate(G, 5, seed=3))))


def test_ema_generator_when_the_run_kept_one(runs):
    plain, ema = runs
    state = ckpt_io.load_checkpoint(ema)
    run = gans.load_run(ema, device="cpu")
    assert run.ema and all(torch.equal(v, state["G_ema"]["model"][k]) for k, v in run.generator.state_dict().items())
    raw = gans.load_run(ema, device="cpu", ema=False)
    assert not raw.ema and all(torch.equal(v, state["G"][k]) for k, v in raw.generator.state_dict().items())
    assert not torch.equal(run.sample(4), raw.sample(4))
    assert not gans.load_run(plain, device="cpu").ema


def test_checkpoint_by_step_file_or_best(runs, tmp_path):
    plain = runs[0]
    assert gans.load_run(plain, device="cpu", checkpoint=2).step == 2
    by_file = gans.load_run(layout.checkpoint_path(plain, 2), device="cpu")
    assert by_file.step == 2 and by_file.run_dir == plain
    copy = shutil.copytree(plain, tmp_path / "run")
    shutil.copy(layout.checkpoint_path(copy, 2), copy / layout.CKPT_DIR / layout.BEST)
    best = gans.load_run(copy, device="cpu", checkpoint="best")
    assert best.checkpoint.name == layout.BEST and best.step == 2 and best.run_dir == copy
    assert gans.load_run(copy, device="cpu").step == 4  # best.pt is never taken for the latest
    outside = tmp_path / "loose.pt"  # a checkpoint copied out of its run: no run, no records
    shutil.copy(layout.checkpoint_path(plain, 4), outside)
    loose = gans.load_run(outside, device="cpu")
    assert loose.run_dir is None and loose.evals == [] and loose.train_evals == [] and loose.step == 4


@pytest.mark.parametrize("where, checkpoint, message", [
    ("missing", None, "pass a run directory"),
    ("empty", None, "has no checkpoints"),
    ("plain", "best", "--eval-every"),
    ("plain", 3, "steps it kept: 0, 2, 4"),
    ("plain", "newest", "'latest', 'best' or a step"),
    ("file", "best", "pass the run directory"),
    ("missing", "best", "does not exist"),
])
def test_bad_paths_name_the_fix(runs, tmp_path, where, checkpoint, message):
    (tmp_path / "empty").mkdir()
    path = {"missing": tmp_path / "nope", "empty": tmp_path / "empty", "plain": runs[0],
            "file": layout.checkpoint_path(runs[0], 4)}[where]
    with pytest.raises(UserError, match=message.replace("(", r"\(")) as e:
        gans.load_run(path, device="cpu", checkpoint=checkpoint)
    assert "\n" not in str(e.value)


def test_evals_read_the_runs_records(runs, tmp_path):
    run_dir = shutil.copytree(runs[0], tmp_path / "run")
    assert gans.load_run(run_dir, device="cpu").evals == []
    draws = [Draw(draw=0, sample_seed=0, num_samples=10, fid=12.5)]
    report = Report(Protocol.build("study", num_samples=10), "", Weights("w.pth", "state-dict", "0" * 16),
                    [RunResult(source=str(layout.checkpoint_path(run_dir, 4)), draws=draws, summary=Summary.of(draws), step=4)])
    write_json(report, run_dir / "eval.json")
    (run_dir / layout.EVALS).write_text(json.dumps(EvalPoint(draw=0, sample_seed=0, num_samples=10, fid=30.0, step=2).to_json()))
    run = gans.load_run(run_dir, device="cpu")
    assert [type(r) for r in run.evals] == [RunResult] and run.evals[0].summary.fid == 12.5 and run.evals[0].step == 4
    assert [(p.step, p.fid) for p in run.train_evals] == [(2, 30.0)]
    (run_dir / "eval.json").write_text("{not json")
    with pytest.raises(UserError, match="re-run gans eval"):
        gans.load_run(run_dir, device="cpu").evals


def test_sample_needs_at_least_one_image(runs):
    with pytest.raises(UserError, match="at least 1"):
        gans.load_run(runs[0], device="cpu").sample(0)


def test_import_gans_stays_free_of_torch():
    code = "import sys, gans; print('torch' in sys.modules); gans.load_run; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]
    assert gans.Run is gans.runs.loaded.Run and "load_run" in dir(gans)
