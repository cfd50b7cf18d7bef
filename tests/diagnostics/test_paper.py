"""The authors' quantities against numpy, written as their code writes them."""
import numpy as np
import pytest
import torch

from gans.diagnostics import paper


def test_kernel_sigma_is_numpys_batched_svd_as_the_authors_call_it():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((5, 3, 4, 4))
    _, s, _ = np.linalg.svd(w)  # train.py: np.linalg.svd(weights); S.max(axis=2).mean()
    theirs = s.max(axis=2).mean()
    by_hand = np.mean([np.linalg.svd(w[o, i], compute_uv=False)[0] for o in range(5) for i in range(3)])
    assert theirs == pytest.approx(by_hand)
    assert paper.kernel_sigma(torch.from_numpy(w)) == pytest.approx(theirs, rel=1e-12)
    # not the spatial-position reading (sigma_max of W[:, :, i, j] averaged over i, j): another number
    positions = np.mean([np.linalg.svd(w[:, :, i, j], compute_uv=False)[0] for i in range(4) for j in range(4)])
    assert paper.kernel_sigma(torch.from_numpy(w)) != pytest.approx(positions, rel=1e-2)
    assert paper.kernel_sigma(torch.randn(3, 4)) is None  # they never took it of a dense layer


def test_weight_moments_are_numpys_mean_and_population_std():
    w = np.random.default_rng(1).standard_normal((4, 3, 3, 3)) + 0.3
    mean, std = paper.weight_moments(torch.from_numpy(w))
    assert (mean, std) == pytest.approx((w.mean(), w.std()))  # numpy's std: ddof = 0


def test_zero_share_counts_exact_zeros_only():
    g = torch.tensor([0.0, -0.0, 1e-30, 3.0, 0.0, -2.0, 1e-45, 0.5], dtype=torch.float32)
    assert paper.zero_share(g) == pytest.approx(3 / 8)  # 1e-30 and 1e-45 (a denormal) are not zero
    assert 1 - np.count_nonzero(g.numpy()) / g.numel() == pytest.approx(paper.zero_share(g))  # plots.py's form


def test_entry_variance_is_the_spread_of_one_gradient():
    g = np.random.default_rng(2).standard_normal(1000) * 3
    assert paper.entry_variance(torch.from_numpy(g)) == pytest.approx(np.var(g))
