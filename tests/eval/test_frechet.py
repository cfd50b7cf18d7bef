import numpy as np
import pytest
import scipy.linalg

from eval.frechet import frechet_distance, statistics


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
