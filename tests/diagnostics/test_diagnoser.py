"""The diagnoser: its readings against hand computations on the same draws, measures that can fail
for BN and MSN, and training untouched by it (networks, global RNG, bitwise training)."""
import copy
import json

import numpy as np
import pytest
import torch
from torch import nn

from gans.diagnostics.diagnoser import Diagnoser, Draws
from gans.diagnostics.layers import bare_layer, batch_statistic, measurement_mode
from gans.losses.passes import critic_scores
from gans.runs.log_records import Diagnosis, LayerStats
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


def _draws(diagnoser: Diagnoser, G: nn.Module, step: int) -> Draws:
    """The diagnoser's inputs at ``step``, drawn again from its private generator in its order."""
    return diagnoser.draws(diagnoser.generator(step), copy.deepcopy(G).train())


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


def _z(x: torch.Tensor) -> float:
    """The standardized drift by numpy: each channel's mean over samples over its sample std, RMS."""
    a = x.numpy()
    return float(np.sqrt(np.mean((a.mean(axis=0) / a.std(axis=0, ddof=1)) ** 2)))


@pytest.mark.parametrize("norm,gp,d_pass", [("msn", False, "separate"), ("sn", False, "separate"),
                                            ("bn", True, "separate"), ("msn", False, "joint")])
def test_drift_readings_equal_a_hand_computation(trained, norm, gp, d_pass):
    # lr 2e-4: one power iteration per step tracks sigma to ~1 there (checked below); at the sngan
    # preset's 9.56e-4 the estimate lags (sigma 1.2-1.3 in the last convs after 8 updates at this width)
    t = trained(norm=norm, gp=gp, d_pass=d_pass, lr=2e-4)
    diagnoser = _diagnoser(t)
    diagnosis = diagnoser(t.G, t.D, t.step)
    drawn = _draws(diagnoser, t.G, t.step)
    D_eval = copy.deepcopy(t.D).eval()
    at_eval = _channel_means(D_eval, lambda: D_eval(torch.cat([drawn.held_out_real, drawn.held_out_fake])),
                             bare=False)
    D = measurement_mode(copy.deepcopy(t.D))
    real, fake = drawn.batches[0]
    pre = _channel_means(D, lambda: critic_scores(D, real, fake, d_pass), bare=True)
    post = _channel_means(D, lambda: critic_scores(D, real, fake, d_pass), bare=False)
    k = len(real)
    for n, stats in enumerate(diagnosis.layers[:-1]):
        assert stats.drift_eval_rms == pytest.approx(_rms(at_eval[n][:k].mean(0)), abs=1e-6)  # real rows only
        # the standardized ones: every row, real and fake, scored and held out
        assert stats.drift_pre_z == pytest.approx(_z(pre[n]), rel=1e-5)
        assert stats.drift_post_z == pytest.approx(_z(post[n]), rel=1e-5, abs=1e-6)
        assert stats.drift_eval_z == pytest.approx(_z(at_eval[n]), rel=1e-5, abs=1e-6)
        assert stats.drift_pre_z_constant == stats.drift_post_z_constant == stats.drift_eval_z_constant == 0
        assert len(pre[n]) == len(at_eval[n]) == 2 * k
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
    assert stale.drift_eval_z > before.drift_eval_z + 1.0
    assert stale.drift_pre_rms == pytest.approx(before.drift_pre_rms, abs=1e-5)
    assert stale.drift_pre_z == pytest.approx(before.drift_pre_z, abs=1e-5)
    assert stale.drift_post_z == pytest.approx(before.drift_post_z, abs=1e-5)
    assert drifted.drift_pre_rms > before.drift_pre_rms + 1.0
    for after in (stale, drifted):  # beta: blind to both
        assert after.drift_post_mean == pytest.approx(before.drift_post_mean, abs=1e-5)
        assert after.drift_post_std == pytest.approx(before.drift_post_std, abs=1e-5)


@pytest.mark.parametrize("norm", ["sn", "bn"])
def test_scaling_a_layer_output_leaves_the_standardized_drift_alone(trained, norm):
    """The first layer's output scaled by c: for SN a gain c on its output (its weight and bias
    scaled, which the spectral norm would otherwise undo); for BN its conv's weight (and running
    statistics) scaled, which the centring ignores. The unscaled pre-centring RMS moves by c, the
    standardized measures do not, so norms of different scales compare."""
    t = trained(norm=norm, gp=norm == "bn")
    diagnoser, c = _diagnoser(t), 10.0
    before = diagnoser(t.G, t.D, t.step).layers[0]
    D = copy.deepcopy(t.D)
    slot = D.slots()[0]
    with torch.no_grad():
        if norm == "sn":
            bare_layer(slot).register_forward_hook(lambda module, inputs, output: output * c)
        else:
            bare_layer(slot).weight.mul_(c)
            bn = next(m for m in slot.modules() if batch_statistic(m))
            bn.running_mean.mul_(c)
            bn.running_var.mul_(c * c)
    after = diagnoser(t.G, D, t.step).layers[0]
    assert after.drift_pre_rms == pytest.approx(c * before.drift_pre_rms, rel=1e-4)
    for field in ("drift_pre_z", "drift_post_z", "drift_eval_z"):  # BN: only its eps sees the scale
        assert getattr(after, field) == pytest.approx(getattr(before, field), rel=1e-3), field


class ConstantImages(nn.Module):
    """A generator whose every image is one grey: its batch sits a constant gap from the real one."""

    def __init__(self, shape: tuple[int, ...], value: float) -> None:
        super().__init__()
        self.shape, self.value = shape, value

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.full((len(z), *self.shape), self.value)


def test_a_running_mean_between_real_and_fake_is_not_drift(trained):
    """A centred norm (MSN, beta = 0) whose running mean is the mean of equal real and fake batches:
    on those batches its eval-mode output has no mean at all. The real-only reading makes half the
    real-fake gap of drift out of it; the standardized one over real and fake reads zero."""
    t = trained(norm="msn", gp=False)
    diagnoser = _diagnoser(t)
    G = ConstantImages(tuple(t.batches.images.shape[1:]), 0.6)
    drawn = _draws(diagnoser, G, t.step)
    D = copy.deepcopy(t.D).eval()  # eval: no power-iteration step while the means are taken
    slot = D.slots()[0]
    with torch.no_grad():
        real, fake = (bare_layer(slot)(x).double().mean(dim=(0, 2, 3))
                      for x in (drawn.held_out_real, drawn.held_out_fake))
        centring = next(m for m in slot.modules() if batch_statistic(m))
        centring.running_mean.copy_((real + fake) / 2)
        centring.bias.zero_()
    stats = diagnoser(G, D, t.step).layers[0]
    half_gap = _rms((real - fake) / 2)
    assert half_gap > 0.05  # a real gap for the old reading to mistake
    assert stats.drift_eval_rms == pytest.approx(half_gap, rel=1e-3)
    assert stats.drift_eval_z == pytest.approx(0.0, abs=1e-4)


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
