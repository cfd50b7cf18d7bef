"""Critic diagnostics against independent computations, and training untouched by them."""
import json

import numpy as np
import pytest
import torch
from torch import nn

from gans.diagnostics.diagnoser import Diagnosis, Diagnoser, bare_layer, conv_operator_norm, gradient_spread, \
    normalized_layers, sparsity
from gans.training.trainer import Trainer


def _explicit_norm(conv: nn.Conv2d, shape) -> float:
    """Largest singular value of the conv's matrix, built column by column with jacrev."""
    x = torch.zeros(*shape)
    jac = torch.func.jacrev(lambda v: nn.functional.conv2d(v[None], conv.weight, None, conv.stride, conv.padding,
                                                          conv.dilation, conv.groups).flatten())(x)
    return float(torch.linalg.svdvals(jac.reshape(jac.shape[0], -1).detach())[0])


@pytest.mark.parametrize("cin,cout,k,stride,groups,size", [
    (3, 4, 3, 1, 1, 6), (4, 4, 4, 2, 1, 6), (4, 4, 3, 1, 4, 5), (2, 3, 4, 2, 1, 7)])
def test_conv_operator_norm_equals_the_explicit_matrix(cin, cout, k, stride, groups, size):
    torch.manual_seed(0)
    conv = nn.Conv2d(cin, cout, k, stride, 1, groups=groups, bias=False)
    explicit = _explicit_norm(conv, (cin, size, size))
    assert conv_operator_norm(conv, (cin, size, size), iterations=500) == pytest.approx(explicit, rel=1e-4)
    reshaped = float(torch.linalg.matrix_norm(conv.weight.detach().reshape(cout, -1), ord=2))
    assert explicit != pytest.approx(reshaped, rel=1e-3)  # the two really differ: the point of the measurement


def test_sparsity_and_variance_against_numpy():
    rng = np.random.default_rng(0)
    g = rng.standard_normal(1000) * (rng.random(1000) < 0.3)  # 70% exact zeros, the rest Gaussian
    g[:5] = 1e-9
    mag = np.abs(g)
    assert sparsity(torch.from_numpy(g)) == pytest.approx(np.mean(mag < 0.01 * mag.mean()))
    stack = rng.standard_normal((4, 50))
    var, norm = gradient_spread(torch.from_numpy(stack))
    assert var == pytest.approx(np.var(stack, axis=0, ddof=1).mean())
    assert norm == pytest.approx(np.linalg.norm(stack, axis=1).mean())


@pytest.fixture
def trained(tiny_cfg):
    def make(**over):
        t = Trainer(tiny_cfg(**over))
        t.fit(progress=False)
        return t
    return make


@pytest.mark.parametrize("norm,d_pass", [("msn", "separate"), ("sn", "separate"), ("bn", "separate"),
                                         ("msn", "joint")])
def test_mean_drift_equals_a_hand_computation(trained, norm, d_pass):
    t = trained(norm=norm, gp=norm == "bn", d_pass=d_pass)
    diagnoser = Diagnoser(t.batches.images.cpu(), t.cfg.batch_size, t.cfg.z_dim, t.cfg.seed, t.device)
    diagnosis = diagnoser(t)
    # the same real batch, through a fresh copy of the critic, with our own hooks
    import copy
    D = copy.deepcopy(t.D).train()
    for m in D.modules():  # the measured critic is this step's: no power-iteration update while measuring
        if type(m).__name__ == "ParametrizationList":
            m.eval()
    G = copy.deepcopy(t.G).train()
    real, fake = diagnoser._batches(t.step, 1, G)[0]
    outs = {}
    slots = normalized_layers(D)
    hooks = [bare_layer(s).register_forward_hook(lambda m, i, o, n=n: outs.__setitem__(("pre", n), o))
             for n, s in enumerate(slots)]
    hooks += [s.register_forward_hook(lambda m, i, o, n=n: outs.__setitem__(("post", n), o)) for n, s in enumerate(slots)]
    with torch.no_grad():
        D(torch.cat([real, fake]) if d_pass == "joint" else real)  # a joint critic centres both as one batch
    for h in hooks:
        h.remove()
    k = len(real)
    for n, stats in enumerate(diagnosis.layers[:-1]):  # the convs
        pre = outs[("pre", n)][:k].mean(dim=(0, 2, 3))
        post = outs[("post", n)][:k].mean(dim=(0, 2, 3))
        assert stats.drift_pre_mean == pytest.approx(float(pre.mean()), abs=1e-5)
        assert stats.drift_pre_std == pytest.approx(float(pre.std()), abs=1e-5)
        assert stats.drift_post_mean == pytest.approx(float(post.mean()), abs=1e-5)
        if norm in ("msn", "bn"):  # centred: channel means are the learned biases (beta)
            assert stats.drift_post_std != pytest.approx(stats.drift_pre_std, rel=1e-3)
    assert diagnosis.lipschitz > 0 and all(0 <= s.grad_sparsity <= 1 for s in diagnosis.layers)
    if norm == "sn":  # every layer normalized: the reshaped largest singular value is ~1 (power iteration)
        assert all(abs(s.sigma_reshaped - 1) < 0.2 for s in diagnosis.layers)


def test_diagnostics_leave_training_bitwise_unchanged(trained, tmp_path):
    plain = trained(out=str(tmp_path / "plain"), norm="msn", deterministic=True)
    watched = trained(out=str(tmp_path / "watched"), norm="msn", deterministic=True, diagnose_every=1)
    for a, b in ((plain.G, watched.G), (plain.D, watched.D)):
        sa, sb = a.state_dict(), b.state_dict()
        assert all(torch.equal(sa[k], sb[k]) for k in sa)
    rows = [Diagnosis.from_json(json.loads(line))
            for line in (watched.run_dir / "diagnostics.jsonl").read_text().splitlines()]
    assert [r.step for r in rows] == [0, 1, 2, 3, 4] and len(rows[0].layers) == 8
    assert not (plain.run_dir / "diagnostics.jsonl").exists()
    assert sum(rows[-1].hist_counts) > 0 and "diag/layer4/grad_sparsity" in rows[-1].flat()


def test_diagnose_writes_each_claims_figure_and_reading(capsys, trained, tmp_path):
    from gans.cli import main

    for norm, seed in (("sn", 0), ("sn", 1), ("msn", 0)):
        trained(out=str(tmp_path / "runs" / f"{norm}-{seed}"), preset="sngan" if norm == "sn" else "msngan",
                norm=norm, seed=seed, diagnose_every=2)
    assert main(["diagnose", str(tmp_path / "runs"), "--out", str(tmp_path / "figs")]) == 0
    out = capsys.readouterr().out
    for name in ("grad_sparsity", "mean_drift", "grad_variance", "grad_hist", "singular_values", "lipschitz"):
        assert (tmp_path / "figs" / f"{name}.png").stat().st_size > 5000, name
    readings = (tmp_path / "figs" / "readings.md").read_text()
    assert "mean drift" in readings and "sngan (sn) " in readings and "msngan (msn) " in readings
    assert "at step 4" in out
    # gans compare puts them in its report
    assert main(["compare", str(tmp_path / "runs"), "--out", str(tmp_path / "report")]) == 0
    html = (tmp_path / "report" / "report.html").read_text()
    assert "Checking the paper's claims" in html and html.count("<img") >= 9
    assert main(["diagnose", str(tmp_path / "runs" / "sn-0" / "samples")]) == 2  # not a run
