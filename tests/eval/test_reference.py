"""Reference statistics: cached once, keyed by data, count and the weights file's hash."""
import numpy as np
import pytest

from gans.eval.frechet import statistics
from gans.eval.inception import open_inception
from gans.eval.metrics import extract, fid
from gans.eval.reference import get_reference
from gans.core.errors import UserError
from gans.data.shapes import make_shapes


@pytest.fixture
def images_npz(tmp_path):
    path = tmp_path / "real.npz"
    np.savez(path, x=make_shapes(12, size=16, seed=4).numpy())
    return path


def counting(inception):
    calls = []

    def features_of(images):
        calls.append(len(images))
        return extract(images.split(6), inception)
    return features_of, calls


@pytest.mark.slow
def test_cached_once_and_keyed_by_weights_and_count(images_npz, inception_files, tmp_path):
    a = open_inception(inception_files["torch-fidelity"])
    features_of, calls = counting(a)
    first = get_reference(str(images_npz), a, cache_dir=tmp_path / "c", features_of=features_of)
    again = get_reference(str(images_npz), a, cache_dir=tmp_path / "c", features_of=features_of)
    assert calls == [12]  # the second call read the cache
    assert np.array_equal(first.mu, again.mu) and np.array_equal(first.sigma, again.sigma)
    assert np.array_equal(first.features.numpy(), again.features.numpy())
    mu, sigma = statistics(extract(make_shapes(12, size=16, seed=4).split(6), a)["2048"].numpy())
    assert np.allclose(first.mu, mu, rtol=1e-6) and np.allclose(first.sigma, sigma, rtol=1e-5, atol=1e-6)

    get_reference(str(images_npz), a, count=10, cache_dir=tmp_path / "c", features_of=features_of)
    assert calls == [12, 10]  # another count is another entry
    # other weights (same architecture, other bytes) must not reuse the statistics, as torch-fidelity's cache does
    other = tmp_path / "other.pth"
    other.write_bytes(inception_files["torch-fidelity"].read_bytes() + b"\0")
    b = open_inception(inception_files["torch-fidelity"])
    b.digest = open_inception.__globals__["file_digest"](other)
    features_b, calls_b = counting(b)
    get_reference(str(images_npz), b, cache_dir=tmp_path / "c", features_of=features_b)
    assert calls_b == [12]
    assert len(list((tmp_path / "c").glob("*.npz"))) == 3


@pytest.mark.slow
def test_cache_file_is_pytorch_fid_statistics(images_npz, inception_files, tmp_path):
    from pytorch_fid.fid_score import compute_statistics_of_path, calculate_frechet_distance

    inception = open_inception(inception_files["torch-fidelity"])
    ref = get_reference(str(images_npz), inception, cache_dir=tmp_path, features_of=counting(inception)[0])
    mu, sigma = compute_statistics_of_path(ref.source, None, 50, 2048, "cpu")  # pytorch-fid reads our file
    assert np.array_equal(mu, ref.mu) and np.array_equal(sigma, ref.sigma)
    # and a pytorch-fid statistics file is a reference (FID only: no features for KID)
    np.savez(tmp_path / "pfid.npz", mu=mu + 1, sigma=sigma)
    stats_only = get_reference(str(tmp_path / "pfid.npz"), inception, features_of=None)
    assert stats_only.features is None and np.array_equal(stats_only.mu, mu + 1)
    # same covariance, means 1 apart in each of 2048 dims: FID is exactly 2048. Ours gets it from the
    # samples; pytorch-fid's sqrtm needs its eps offset on this rank-11 covariance and lands ~0.1 off
    assert fid(ref.features, (stats_only.mu, stats_only.sigma)) == pytest.approx(2048, rel=1e-9)
    assert abs(calculate_frechet_distance(mu, sigma, mu + 1, sigma) - 2048) > 1e-3


def test_count_larger_than_the_data_is_a_user_error(images_npz, tmp_path):
    # refused before Inception is touched (hence none here)
    with pytest.raises(UserError, match="--reference-count 99 exceeds the 12 images"):
        get_reference(str(images_npz), None, count=99, cache_dir=tmp_path, features_of=None)
