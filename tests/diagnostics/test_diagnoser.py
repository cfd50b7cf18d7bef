"""The diagnoser: its readings against hand computations on the same draws, measures that can fail
for BN and MSN, and training untouched by it (networks, global RNG, bitwise training)."""
import copy
import json

import pytest
import torch
from torch import nn

from gans.diagnostics.diagnoser import BATCHES, Diagnoser
from gans.diagnostics.layers import measurement_mode
from gans.losses.passes import critic_scores
from gans.runs.records import Diagnosis, LayerStats
from gans.training.trainer import Trainer


@pytest.fixture
def trained(tiny_cfg):
    def make(**over):
        t = Trainer(tiny_cfg(**over))
        t.fit(progress=False)
        return t
    return make


def _diagnoser(t: Trainer) -> Diagnoser:
    """The diagnoser the trainer builds with --diagnose-every."""
    import dataclasses

    return Trainer(dataclasses.replace(t.cfg, diagnose_every=1), images=t.batches.images.cpu()).diagnoser


def _draws(diagnoser: Diagnoser, G: nn.Module, step: int):
    """The diagnoser's batches at ``step``, drawn again from its private generator in its order."""
    gen = diagnoser.generator(step)
    G = copy.deepcopy(G).train()
    batches = [(diagnoser.real(gen), diagnoser.fake(gen, G)) for _ in range(BATCHES)]
    return batches, diagnoser.real(gen)


def _channel_means(D: nn.Module, run, bare: bool) -> list[torch.Tensor]:
    """Per slot, the per-sample channel means of its output (or of its first conv/dense layer's)."""
    outs: dict[int, list[torch.Tensor]] = {}
    hooks = []
    for n, s in enumerate(D.slots()):
        m = next(x for x in s.modules() if isinstance(x, (nn.Conv2d, nn.Linear))) if bare else s
        hooks.append(m.register_forward_hook(lambda mod, i, o, n=n: outs.setdefault(n, []).append(o.detach())))
    with torch.no_grad():
        run()
    for h in hooks:
        h.remove()
    return [torch.cat(outs[n]).double().mean(dim=(2, 3)) for n in range(len(outs) - 1)]  # the convs


def _rms(x: torch.Tensor) -> float:
    return float(x.pow(2).mean().sqrt())


@pytest.mark.parametrize("norm,gp,d_pass", [("msn", False, "separate"), ("sn", False, "separate"),
                                            ("bn", True, "separate"), ("msn", False, "joint")])
def test_drift_readings_equal_a_hand_computation(trained, norm, gp, d_pass):
    t = trained(norm=norm, gp=gp, d_pass=d_pass)
    diagnoser = _diagnoser(t)
    diagnosis = diagnoser(t.G, t.D, t.step)
    batches, held_out = _draws(diagnoser, t.G, t.step)
    D_eval = copy.deepcopy(t.D).eval()
    at_eval = _channel_means(D_eval, lambda: D_eval(held_out), bare=False)
    D = measurement_mode(copy.deepcopy(t.D))
    real, fake = batches[0]
    pre = _channel_means(D, lambda: critic_scores(D, real, fake, d_pass), bare=True)
    post = _channel_means(D, lambda: critic_scores(D, real, fake, d_pass), bare=False)
    k = len(real)
    for n, stats in enumerate(diagnosis.layers[:-1]):
        assert stats.drift_eval_rms == pytest.approx(_rms(at_eval[n].mean(0)), abs=1e-6)
        assert stats.drift_pre_rms == pytest.approx(_rms(pre[n][:k].mean(0)), abs=1e-6)
        assert stats.drift_pre_mean == pytest.approx(float(pre[n][:k].mean()), abs=1e-6)
        assert stats.drift_post_mean == pytest.approx(float(post[n][:k].mean()), abs=1e-6)
        assert stats.batch_mean_gap == pytest.approx(float((pre[n][:k].mean(0) - pre[n][k:].mean(0)).abs().mean()),
                                                     abs=1e-6)
    assert diagnosis.lipschitz_sample > 0 and diagnosis.lipschitz_summed > 0
    assert all(0 <= s.grad_sparsity <= 1 and s.grad_var_rel is not None for s in diagnosis.layers)
    assert sum(diagnosis.hist_counts) + diagnosis.hist_zeros == sum(
        p.numel() for s in t.D.slots() for p in _trained(s))
    if norm == "sn":  # every layer normalized: the reshaped largest singular value is ~1 (power iteration)
        assert all(abs(s.eff_sigma_reshaped - 1) < 0.2 for s in diagnosis.layers)


def _trained(slot):
    from gans.diagnostics.layers import bare_layer, weight_parameters

    return weight_parameters(bare_layer(slot))


@pytest.mark.parametrize("norm", ["bn", "msn"])
def test_drift_measures_can_fail_where_the_train_mode_reading_cannot(trained, norm):
    """A BN/MSN critic whose running mean is off, or whose conv output means drift: the corrected
    readings move, the train-mode post-centring channel means (beta, whatever happens) do not."""
    t = trained(norm=norm, gp=norm == "bn")
    diagnoser = _diagnoser(t)
    before = diagnoser(t.G, t.D, t.step).layers[0]

    def changed(change) -> LayerStats:
        D = copy.deepcopy(t.D)
        with torch.no_grad():
            change(D.slots()[0])
        return diagnoser(t.G, D, t.step).layers[0]

    def off_running_mean(slot):
        next(m for m in slot.modules() if isinstance(getattr(m, "running_mean", None), torch.Tensor)).running_mean -= 3

    def drifting_conv(slot):
        _trained(slot)[0].add_(0.5)  # the raw weight: the conv's output means drift before the centring

    stale, drifted = changed(off_running_mean), changed(drifting_conv)
    assert stale.drift_eval_rms > before.drift_eval_rms + 1.0
    assert stale.drift_pre_rms == pytest.approx(before.drift_pre_rms, abs=1e-5)
    assert drifted.drift_pre_rms > before.drift_pre_rms + 1.0
    for after in (stale, drifted):  # beta: blind to both
        assert after.drift_post_mean == pytest.approx(before.drift_post_mean, abs=1e-5)
        assert after.drift_post_std == pytest.approx(before.drift_post_std, abs=1e-5)


def test_diagnosis_leaves_networks_and_global_rng_alone(tiny_cfg):
    """With the gradient penalty on, the diagnosis must draw its alpha from its own generator."""
    t = Trainer(tiny_cfg(preset="wgan-gp", diagnose_every=1))
    t.train_step()
    assert t.diagnoser.critic.penalty_weight == t.cfg.gp_weight and t.diagnoser.critic.scores is critic_scores
    G, D = copy.deepcopy(t.G.state_dict()), copy.deepcopy(t.D.state_dict())
    cpu = torch.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    first = t.diagnoser(t.G, t.D, t.step)
    assert torch.equal(torch.get_rng_state(), cpu)
    assert all(torch.equal(a, b) for a, b in zip(torch.cuda.get_rng_state_all() if cuda else [], cuda))
    assert all(torch.equal(G[k], v) for k, v in t.G.state_dict().items())
    assert all(torch.equal(D[k], v) for k, v in t.D.state_dict().items())
    assert t.diagnoser(t.G, t.D, t.step).to_json() == first.to_json()  # its draws depend on the step alone


def _state(t: Trainer) -> dict[str, torch.Tensor]:
    return {**{f"G.{k}": v for k, v in t.G.state_dict().items()}, **{f"D.{k}": v for k, v in t.D.state_dict().items()}}


@pytest.mark.parametrize("preset,every", [("wgan-gp", 1), ("msngan", 2)])
def test_training_is_bitwise_the_same_with_diagnostics(trained, tmp_path, preset, every):
    """wgan-gp: the penalty's alpha; msngan: --d-pass joint (its preset) and MSN's running means."""
    common = dict(preset=preset, width=0.125, batch_size=8, deterministic=True)
    plain = trained(out=str(tmp_path / "plain"), **common)
    watched = trained(out=str(tmp_path / "watched"), diagnose_every=every, **common)
    assert watched.cfg.d_pass == ("joint" if preset == "msngan" else "separate")
    a, b = _state(plain), _state(watched)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    rows = [Diagnosis.from_json(json.loads(line))
            for line in (watched.run_dir / "diagnostics.jsonl").read_text().splitlines()]
    assert [r.step for r in rows] == list(range(0, 5, every)) and len(rows[0].layers) == 8
    assert not (plain.run_dir / "diagnostics.jsonl").exists()
    last = rows[-1]
    assert last.lipschitz_sample is not None and last.hist_zeros is not None
    assert "diag/layer4/grad_var_rel" in last.flat() and "diag/layer4/paper_sigma" in last.flat()
