"""FID-infinity against scipy's regression and against a case whose true FID is known to be 0."""
import numpy as np
import pytest
import torch
from scipy import stats

from gans.eval.frechet import statistics
from gans.eval.infinity import default_sizes, fid_infinity
from gans.eval.metrics import fid


def _gaussian(n, d=16, seed=0, shift=0.0):
    return torch.from_numpy(np.random.default_rng(seed).normal(shift, 1.0, size=(n, d)))


def test_the_intercept_is_the_least_squares_line_in_one_over_n():
    feats, ref = _gaussian(2000, seed=1, shift=0.3), statistics(_gaussian(5000, seed=2).numpy())
    c = fid_infinity(feats, ref, default_sizes(2000))
    line = stats.linregress(1.0 / np.array(c.sizes), np.array(c.fids))
    assert c.infinity == pytest.approx(line.intercept) and c.slope == pytest.approx(line.slope)
    assert c.sizes == (500, 1000, 1500, 2000) and c.fids[-1] == pytest.approx(fid(feats, ref))


def test_it_removes_most_of_the_small_sample_bias_where_the_true_fid_is_zero():
    """Same distribution as the reference (exact mu = 0, sigma = I): FID at N is pure bias, about d^2 / N
    for a d-dimensional Gaussian's covariance estimate; the intercept must land far closer to 0."""
    d = 16
    ref = (np.zeros(d), np.eye(d))
    c = fid_infinity(_gaussian(4000, d, seed=3), ref, (250, 500, 1000, 2000, 4000))
    assert c.fids[0] > c.fids[-1] > 0 and c.slope > 0
    assert abs(c.infinity) < 0.25 * c.fids[-1]


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="two distinct"):
        fid_infinity(_gaussian(100), (np.zeros(16), np.eye(16)), (50, 200))
