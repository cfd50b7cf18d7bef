import json

import pytest
import torch

from gans.runs import checkpoint as ckpt_io
from gans.config import PRESETS
from gans.core.errors import UserError
from gans.training.trainer import Trainer
from tests.training.poison import poison_critic_once


def _weights(trainer):
    return {**{f"G.{k}": v.clone() for k, v in trainer.G.state_dict().items()},
            **{f"D.{k}": v.clone() for k, v in trainer.D.state_dict().items()}}


@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_system_trains_and_writes_its_run(tiny_cfg, preset):
    cfg = tiny_cfg(preset=preset)
    t = Trainer(cfg)
    before = _weights(t)
    last = t.fit(progress=False)
    after = _weights(t)
    assert t.step == cfg.steps
    changed = [k for k in before if k.endswith("weight.original") or k.endswith(".weight")]
    assert changed and all(not torch.equal(before[k], after[k]) for k in changed)
    rows = [json.loads(line) for line in (t.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert all(r["penalty"] > 0 for r in rows) == cfg.gp
    assert (t.run_dir / "samples" / "step_00000004.png").stat().st_size > 100
    assert (t.run_dir / "config.toml").exists()
    # step 0: the untrained networks, a baseline and a resume point from the start
    assert [s for s, _ in ckpt_io.list_checkpoints(t.run_dir)] == [0, 2, 4] and last.name == "ckpt_00000004.pt"


def test_checkpoint_holds_everything_and_loads_safely(tiny_cfg):
    t = Trainer(tiny_cfg(preset="msngan", norm="msn"))
    t.fit(progress=False)
    state = ckpt_io.load_checkpoint(t.run_dir)  # weights_only=True inside
    assert state["step"] == 4 and state["config"]["norm"] == "msn"
    assert {"G", "D", "opt_g", "opt_d", "rng", "data", "params"} <= set(state)
    assert any(k.endswith("running_mean") for k in state["D"])
    assert any(k.endswith("_u") for k in state["D"])


@pytest.mark.parametrize("preset", ["wgan-gp", "msngan", "sngan"])
def test_resume_continues_bitwise(tiny_cfg, tmp_path, preset):
    straight = Trainer(tiny_cfg(preset=preset, out=str(tmp_path / "a")))
    straight.fit(progress=False)
    first = Trainer(tiny_cfg(preset=preset, out=str(tmp_path / "b"), steps=2))
    first.fit(progress=False)
    resumed = Trainer(tiny_cfg(preset=preset, out=str(tmp_path / "b")))
    resumed.load_state_dict(ckpt_io.load_checkpoint(tmp_path / "b"))
    assert resumed.step == 2
    resumed.fit(progress=False)
    a, b = _weights(straight), _weights(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_linear_lr_decay(tiny_cfg):
    t = Trainer(tiny_cfg(lr_decay="linear", lr=1e-3))
    assert t.lr_at(0) == pytest.approx(1e-3) and t.lr_at(2) == pytest.approx(5e-4)
    t.train_step()
    assert t.opt_d.param_groups[0]["lr"] == pytest.approx(1e-3)
    t.train_step()
    assert t.opt_g.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.75)


def test_divergence_stops_with_last_good_checkpoint(tiny_cfg):
    t = Trainer(tiny_cfg(preset="sngan", steps=6))
    original = t.objective

    def poisoned(real, fake):
        return original.d(real, fake) * (float("nan") if t.step >= 3 else 1.0)

    t.objective = original._replace(d=poisoned)
    with pytest.raises(UserError, match=r"diverged .* step 4; last good checkpoint: .*ckpt_00000002.pt"):
        t.fit(progress=False)
    assert ckpt_io.load_checkpoint(t.run_dir)["step"] == 2


def test_rollback_reloads_last_checkpoint_at_half_lr(tiny_cfg):
    t = Trainer(tiny_cfg(preset="sngan", steps=6, rollback=1))
    fired = poison_critic_once(t, 3)
    t.fit(progress=False)
    state = ckpt_io.load_checkpoint(t.run_dir)
    assert fired and state["step"] == 6 and state["lr_scale"] == 0.5 and t.rollbacks == 1
    assert t.opt_d.param_groups[0]["lr"] == pytest.approx(t.cfg.lr * 0.5)


def test_joint_pass_scores_real_and_fake_in_one_batch(tiny_cfg):
    """--d-pass joint: one forward over cat(real, fake), so MSN centres with one mean for both."""
    import copy

    t = Trainer(tiny_cfg(norm="msn", d_pass="joint"))
    real, fake = torch.randn(8, 3, 16, 16) + 1, torch.randn(8, 3, 16, 16) - 1
    twin = copy.deepcopy(t.D)
    d_real, d_fake = t.scores(real, fake)
    expected = twin(torch.cat([real, fake]))
    assert torch.allclose(torch.cat([d_real, d_fake]), expected)
    separate = Trainer(tiny_cfg(norm="msn"))
    separate.D.load_state_dict(twin.state_dict())
    s_real, _ = separate.scores(real, fake)
    assert not torch.allclose(s_real, d_real, atol=1e-4)  # per-batch means differ from the joint mean
    t.fit(progress=False)
    assert t.step == 4


@pytest.mark.parametrize("preset", ["wgan-gp", "sngan", "msngan"])
def test_the_resnet_trains_with_each_system(tiny_cfg, preset):
    cfg = tiny_cfg(preset=preset, arch="resnet", init="normal02", steps=2)
    t = Trainer(cfg)
    before = _weights(t)
    t.fit(progress=False)
    assert type(t.D).__name__ == "ResNetDiscriminator" and t.step == 2
    assert all(not torch.equal(before[k], v) for k, v in _weights(t).items() if k.endswith("weight.original"))


def test_resnet_refuses_the_separable_critic(tiny_cfg):
    with pytest.raises(UserError, match="no depthwise-separable critic"):
        tiny_cfg(arch="resnet", norm="dsn", d_arch="separable")
