import numpy as np
import pytest
import scipy.linalg

from gans.eval.frechet import frechet_distance, frechet_distance_to_samples, statistics


def scipy_fid(mu1, s1, mu2, s2):
    covmean = scipy.linalg.sqrtm(s1 @ s2)  # no `disp` argument: it is going away in SciPy 1.18
    return float((mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))


@pytest.mark.parametrize("n1,n2,d", [(500, 800, 64), (40, 30, 64), (300, 5000, 256)])
def test_equals_scipy_sqrtm_including_rank_deficient(n1, n2, d):
    rng = np.random.default_rng(n1)
    a = rng.standard_normal((n1, d)) @ rng.standard_normal((d, d)) * 0.3
    b = rng.standard_normal((n2, d)) + 0.5
    (m1, s1), (m2, s2) = statistics(a), statistics(b)
    ours, ref = frechet_distance(m1, s1, m2, s2), scipy_fid(m1, s1, m2, s2)
    assert ours == pytest.approx(ref, rel=1e-6)


def test_matches_pytorch_fid():
    from pytorch_fid.fid_score import calculate_frechet_distance

    rng = np.random.default_rng(1)
    (m1, s1), (m2, s2) = statistics(rng.standard_normal((400, 32))), statistics(rng.standard_normal((400, 32)) * 2)
    assert frechet_distance(m1, s1, m2, s2) == pytest.approx(calculate_frechet_distance(m1, s1, m2, s2), rel=1e-6)


def test_same_statistics_give_zero_and_shape_mismatch_raises():
    rng = np.random.default_rng(2)
    m, s = statistics(rng.standard_normal((100, 16)))
    assert abs(frechet_distance(m, s, m, s)) < 1e-8
    with pytest.raises(ValueError, match="mismatched"):
        frechet_distance(m, s, m[:8], s[:8, :8])


def _nuclear_reference(a, b):
    """An independent exact form for two sample sets: tr sqrt(S1 S2) is the nuclear norm of
    A_c B_c^T / sqrt((n1 - 1)(n2 - 1)) (no eigendecomposition at all)."""
    ac, bc = a - a.mean(0), b - b.mean(0)
    tr = np.linalg.svd(ac @ bc.T, compute_uv=False).sum() / np.sqrt((len(a) - 1) * (len(b) - 1))
    diff = a.mean(0) - b.mean(0)
    return diff @ diff + (ac * ac).sum() / (len(a) - 1) + (bc * bc).sum() / (len(b) - 1) - 2 * tr


@pytest.mark.parametrize("n1,n2", [(30, 40), (200, 3000)])
def test_sample_form_is_exact_on_rank_deficient_covariances(n1, n2):
    rng = np.random.default_rng(n1)
    d = 512
    mix = rng.standard_normal((d, d)) * 3
    a, b = rng.standard_normal((n1, d)) @ mix, rng.standard_normal((n2, d)) @ mix + 0.3
    ref = _nuclear_reference(a, b)
    mb, sb = statistics(b)
    assert frechet_distance_to_samples(a, mb, sb) == pytest.approx(ref, rel=1e-9)
    # against itself: exactly zero, where the symmetric form keeps round-off from the null space
    ma, sa = statistics(a)
    scale = np.trace(sa)
    assert abs(frechet_distance_to_samples(a, ma, sa)) < 1e-12 * scale
    assert abs(frechet_distance(ma, sa, ma, sa)) > 100 * abs(frechet_distance_to_samples(a, ma, sa))


def test_fid_picks_the_sample_form_for_small_sets():
    import torch

    from gans.eval.metrics import fid

    rng = np.random.default_rng(3)
    a = rng.standard_normal((50, 128)) @ rng.standard_normal((128, 128))
    b = rng.standard_normal((400, 128))
    ref = _nuclear_reference(a, b)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    assert fid(ta, tb) == pytest.approx(ref, rel=1e-9)
    assert fid(tb, ta) == pytest.approx(ref, rel=1e-9)
    assert fid(ta, statistics(b)) == pytest.approx(ref, rel=1e-9)
    assert fid(statistics(b), ta) == pytest.approx(ref, rel=1e-9)
