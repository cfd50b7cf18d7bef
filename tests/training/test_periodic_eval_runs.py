"""Training-time FID: logged with its step, best checkpoint kept, and training itself untouched."""
import json

import numpy as np
import pytest
import torch

from gans.runs import checkpoint as ckpt_io
from gans.config import TrainConfig
from gans.core.errors import UserError
from gans.data.shapes import make_shapes
from gans.training.trainer import Trainer


@pytest.fixture
def eval_flags(tmp_path, inception_files):
    ref = tmp_path / "ref.npz"
    np.savez(ref, x=make_shapes(12, size=16, seed=2).numpy())
    return {"eval_every": 2, "eval_samples": 10, "eval_reference": str(ref),
            "inception_weights": str(inception_files["torch-fidelity"])}


@pytest.mark.slow
def test_fid_every_n_steps_and_best_checkpoint(tiny_cfg, eval_flags):
    # PyTorch's generator init: the preset's N(0, 0.02) at width 1/16 draws one grey image for every z (IS 1)
    trainer = Trainer(tiny_cfg(g_init="torch", **eval_flags))
    trainer.fit(progress=False)
    rows = [json.loads(line) for line in (trainer.run_dir / "eval.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, 2, 4]  # step 0: the untrained generator
    assert all(r["fid"] > 0 and r["is_mean"] >= 1 and r["kid_mean"] is not None for r in rows)
    best = min(r["fid"] for r in rows)
    assert rows[-1]["best_fid"] == best
    state = ckpt_io.load_checkpoint(trainer.run_dir / "checkpoints" / "best.pt")
    assert state["best_fid"] == best and state["step"] == rows[[r["fid"] for r in rows].index(best)]["step"]
    assert len(ckpt_io.list_checkpoints(trainer.run_dir)) == 3  # 0, 2, 4; best.pt is not a numbered checkpoint


@pytest.mark.slow
def test_evaluation_does_not_change_training(tiny_cfg, eval_flags, tmp_path):
    plain = Trainer(tiny_cfg(out=str(tmp_path / "plain"), deterministic=True))
    plain.fit(progress=False)
    scored = Trainer(tiny_cfg(out=str(tmp_path / "scored"), deterministic=True, **eval_flags))
    scored.fit(progress=False)
    for a, b in zip(plain.G.state_dict().values(), scored.G.state_dict().values()):
        assert torch.equal(a, b)
    for a, b in zip(plain.D.state_dict().values(), scored.D.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.slow
def test_resume_keeps_best_fid_and_trims_eval_log(tiny_cfg, eval_flags, tmp_path):
    from gans.training.launch import resume_run

    first = Trainer(tiny_cfg(**eval_flags))
    first.fit(progress=False)
    log = first.run_dir / "eval.jsonl"
    log.write_text(log.read_text() + json.dumps({"step": 99, "fid": 0.0}) + "\n")  # a killed run's leftover
    resumed = resume_run(first.run_dir, {"steps": 6})
    assert resumed.best_fid == first.best_fid
    resumed.fit(progress=False)
    steps = [json.loads(line)["step"] for line in log.read_text().splitlines()]
    assert steps == [0, 2, 4, 6]


def test_bad_eval_settings_are_user_errors(tiny_cfg, tmp_path):
    with pytest.raises(UserError, match="--eval-samples must be >= 10"):
        tiny_cfg(eval_every=2, eval_samples=1)
    with pytest.raises(UserError, match="--eval-every must be >= 0"):
        tiny_cfg(eval_every=-1)
    with pytest.raises(UserError, match="do not exist"):
        Trainer(tiny_cfg(eval_every=2, inception_weights=str(tmp_path / "none.pth")))
    assert TrainConfig().eval_every == 0  # off by default: no Inception needed to train
