"""Our estimators against numpy and hand-computed values."""
import numpy as np
import pytest
import torch

from gans.diagnostics import corrected


def test_near_zero_share_counts_exact_zeros_too():
    rng = np.random.default_rng(0)
    g = rng.standard_normal(1000) * (rng.random(1000) < 0.3)  # 70% exact zeros, the rest Gaussian
    g[:5] = 1e-9
    mag = np.abs(g)
    assert corrected.near_zero_share(torch.from_numpy(g)) == pytest.approx(np.mean(mag < 0.01 * mag.mean()))
    assert corrected.zero_share(torch.from_numpy(g)) == pytest.approx(np.mean(g == 0))
    assert corrected.near_zero_share(torch.zeros(10)) == 1.0


def test_hand_computed_sparsity():
    g = torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.001, 0.0])  # mean |g| = 4.001 / 8 = 0.5001
    assert corrected.zero_share(g) == pytest.approx(3 / 8)
    assert corrected.near_zero_share(g) == pytest.approx(4 / 8)  # 0.001 < 0.005001 and the three zeros


def test_variances_against_numpy_and_scale():
    rng = np.random.default_rng(1)
    stack = rng.standard_normal((4, 50)) + 2.0
    t = torch.from_numpy(stack)
    var = np.var(stack, axis=0, ddof=1)
    assert corrected.raw_variance(t) == pytest.approx(var.mean())
    assert corrected.relative_variance(t) == pytest.approx(var.sum() / np.mean(stack**2, axis=0).sum())
    assert corrected.mean_norm(t) == pytest.approx(np.linalg.norm(stack, axis=1).mean())
    # spectral norm's raw-weight gradients scale as 1/||V||: the relative variance reads the same
    assert corrected.relative_variance(t * 1e-3) == pytest.approx(corrected.relative_variance(t))
    assert corrected.raw_variance(t * 1e-3) == pytest.approx(corrected.raw_variance(t) * 1e-6)
    assert corrected.relative_variance(torch.ones(4, 3) * 5) == 0.0
    assert corrected.relative_variance(torch.zeros(4, 3)) is None
    # one entry, +1 then -1: var (ddof=1) = 2, mean square = 1: the bound B / (B - 1) = 2 for a zero-mean gradient
    assert corrected.relative_variance(torch.tensor([[1.0], [-1.0]])) == pytest.approx(2.0)


def test_log_histogram_keeps_zeros_apart_and_every_entry_counted():
    edges = [float(e) for e in range(-12, 3)]
    g = torch.tensor([0.0, -0.0, 1e-20, 5e-4, -5e-4, 0.02, 1.0, 1e5, 1e-12, 100.0], dtype=torch.float64)
    counts, zeros = corrected.log_histogram(g, edges)
    assert zeros == 2
    logs = np.clip(np.log10(np.abs(g.numpy()[2:])), edges[0], edges[-1])
    assert counts == np.histogram(logs, bins=edges)[0].tolist()
    assert sum(counts) + zeros == g.numel()
    assert counts[0] == 2 and counts[-1] == 2  # 1e-20 and 1e-12 in the first bin; 1e5 and 100 in the last


def test_channel_rms():
    m = torch.tensor([3.0, -4.0])
    assert corrected.channel_rms(m) == pytest.approx(np.sqrt(12.5))
    x = torch.arange(24.0).reshape(2, 3, 2, 2)
    assert torch.allclose(corrected.channel_means(x), x.double().mean(dim=(2, 3)))


def test_standardized_rms_against_numpy_with_constant_channels_left_out():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 6)) * rng.uniform(0.1, 5.0, 6) + rng.uniform(-3, 3, 6)
    x[:, 2] = 0.7  # a constant channel: no spread to measure its mean against
    x[:, 4] = 0.0  # a dead one
    kept = [0, 1, 3, 5]
    z = x[:, kept].mean(axis=0) / x[:, kept].std(axis=0, ddof=1)
    got = corrected.standardized_rms(torch.from_numpy(x))
    assert got.rms == pytest.approx(np.sqrt(np.mean(z**2)))
    assert got.constant == 2
    assert corrected.standardized_rms(torch.full((4, 3), 0.1)) == corrected.Standardized(None, 3)
    with pytest.raises(ValueError, match="two samples"):
        corrected.standardized_rms(torch.ones(1, 3))


def test_scaling_a_layer_output_moves_the_unscaled_drift_not_the_standardized_one():
    """A layer's output scaled by c > 0 (an SN conv's weight and bias, BN's conv before its centring):
    the same drift relative to the spread, c times the unscaled RMS."""
    rng = np.random.default_rng(3)
    x = torch.from_numpy(rng.standard_normal((32, 8)) + rng.uniform(-1, 1, 8))
    for c in (1e-3, 0.5, 7.0):
        assert corrected.standardized_rms(c * x).rms == pytest.approx(corrected.standardized_rms(x).rms)
        assert corrected.channel_rms((c * x).mean(0)) == pytest.approx(c * corrected.channel_rms(x.mean(0)))
