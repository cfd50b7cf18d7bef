"""IS, FID and KID equal torch-fidelity's on the same images with the same weights."""
import numpy as np
import pytest
import torch

from gans.eval.inception import detect_format, open_inception
from gans.eval.metrics import ImageDataset, extract, fid, inception_score, kid, load_stats, save_stats
from gans.core.errors import UserError
from gans.data.shapes import make_shapes

N = 20


@pytest.fixture(scope="module")
def image_sets():
    a = make_shapes(N, seed=5)
    b = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (N, 3, 32, 32), dtype=np.uint8))
    return a, b


@pytest.mark.parametrize("fmt", ["torch-fidelity", "pytorch-fid"])
def test_equals_torch_fidelity(inception_files, image_sets, fmt):
    import torch_fidelity

    path = inception_files[fmt]
    a, b = image_sets
    ref = torch_fidelity.calculate_metrics(
        input1=ImageDataset(a), input2=ImageDataset(b), cuda=False, isc=True, fid=True, kid=True, verbose=False,
        feature_extractor_weights_path=str(inception_files["torch-fidelity"]), kid_subset_size=N,
        kid_subsets=10, samples_shuffle=False, save_cpu_ram=True, cache=False)
    extractor = open_inception(path)
    assert extractor.fmt == "state-dict"
    fa = extract(a.split(7), extractor)
    fb = extract(b.split(7), extractor)
    is_mean, is_std = inception_score(fa["logits_unbiased"], shuffle=False)
    assert is_mean == pytest.approx(ref["inception_score_mean"], rel=1e-4)
    assert is_std == pytest.approx(ref["inception_score_std"], rel=1e-4, abs=1e-9)
    assert fid(fa["2048"], fb["2048"]) == pytest.approx(ref["frechet_inception_distance"], rel=1e-4)
    kid_mean, kid_std = kid(fa["2048"], fb["2048"], subsets=10, subset_size=N)
    assert kid_mean == pytest.approx(ref["kernel_inception_distance_mean"], rel=1e-4)
    # with subset size N every subset holds all samples: the std is round-off, scaled by the mean
    assert kid_std == pytest.approx(ref["kernel_inception_distance_std"], rel=1e-4, abs=1e-6 * abs(kid_mean))
    assert ref["frechet_inception_distance"] > 1e-3  # the random network tells the sets apart
    assert abs(fid(fa["2048"], fa["2048"])) < 1e-6 * ref["frechet_inception_distance"]


def test_stats_file_round_trip_in_pytorch_fid_layout(tmp_path):
    mu, sigma = np.arange(3.0), np.eye(3)
    save_stats(tmp_path / "s.npz", mu, sigma)
    with np.load(tmp_path / "s.npz") as f:
        assert sorted(f.files) == ["mu", "sigma"]
    m2, s2 = load_stats(tmp_path / "s.npz")
    assert np.array_equal(m2, mu) and np.array_equal(s2, sigma)


def test_wrong_files_are_one_line_errors(tmp_path):
    torch.save({"format": "gans-checkpoint", "G": {"w": torch.zeros(2)}}, tmp_path / "gen.pt")
    with pytest.raises(UserError, match="not an Inception-v3 weight file") as e:
        open_inception(tmp_path / "gen.pt")
    assert "\n" not in str(e.value)
    (tmp_path / "text.pth").write_text("hello")
    with pytest.raises(UserError, match="not a torch or TorchScript file"):
        detect_format(tmp_path / "text.pth")
    with pytest.raises(UserError, match="do not exist"):
        open_inception(tmp_path / "missing.pth")


@pytest.mark.slow
def test_torchscript_formats_give_the_same_features(inception_files, torchscript_files, image_sets):
    a, b = image_sets
    ref_extractor = open_inception(inception_files["torch-fidelity"])
    ra, rb = extract(a.split(10), ref_extractor), extract(b.split(10), ref_extractor)
    ref_fid = fid(ra["2048"], rb["2048"])
    for fmt, path in torchscript_files.items():
        extractor = open_inception(path)
        assert extractor.fmt == fmt
        fa, fb = extract(a.split(10), extractor), extract(b.split(10), extractor)
        assert fid(fa["2048"], fb["2048"]) == pytest.approx(ref_fid, rel=1e-4)
        if fmt == "nvidia-torchscript":
            is_ref = inception_score(ra["logits_unbiased"])
            assert inception_score(fa["logits_unbiased"]) == pytest.approx(is_ref, rel=1e-4)
        else:
            assert "logits_unbiased" not in fa  # feature-only export: FID and KID, no IS


def test_weights_from_environment_variable(inception_files, monkeypatch):
    monkeypatch.setenv("GANS_INCEPTION_WEIGHTS", str(inception_files["pytorch-fid"]))
    extractor = open_inception(None)
    detected = extractor.fmt
    assert detected == "state-dict"
    assert extractor(make_shapes(2))["2048"].shape == (2, 2048)


def _mmd_by_loops(x, y):
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3, written out pair by pair (an independent form)."""
    m, d = len(x), x.shape[1]
    k = lambda a, b: (a @ b / d + 1) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_kid_subsets_equal_torch_fidelity_and_a_pair_by_pair_mmd():
    """The GPU form of KID (run here on the CPU): the subsets torch-fidelity draws, scored in float64,
    agree with torch-fidelity's float32 numpy estimator, and one subset with the MMD^2 written out."""
    from gans.eval.metrics import kid_subsets

    g = torch.Generator().manual_seed(0)
    a = torch.rand(300, 64, generator=g) * 2  # non-negative like pool3 features, two different laws
    b = torch.rand(250, 64, generator=g) * 2 + 0.1
    ours = kid_subsets(a, b, subsets=7, size=40, seed=5, device="cpu")
    ref = kid(a, b, subsets=7, subset_size=40, seed=5)  # no CUDA device: torch-fidelity's own function
    assert ours[0] == pytest.approx(ref[0], rel=1e-5) and ours[1] == pytest.approx(ref[1], rel=1e-4)
    assert abs(ours[0]) > 1e-3  # the two laws differ: a vanishing KID would make the check empty
    rng = np.random.RandomState(5)  # torch-fidelity's draws: one subset of each side per round
    x, y = a[rng.choice(300, 12, replace=False)].double(), b[rng.choice(250, 12, replace=False)].double()
    one, spread = kid_subsets(a, b, subsets=1, size=12, seed=5, device="cpu")
    assert one == pytest.approx(float(_mmd_by_loops(x, y)), rel=1e-12) and spread == 0.0


def test_fid_on_a_device_argument_equals_the_default():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(400, 32, generator=g), torch.randn(500, 32, generator=g) * 1.5 + 0.2
    assert fid(a, b, device="cpu") == pytest.approx(fid(a, b), rel=1e-12)
    assert fid(a[:20], b, "cpu") == pytest.approx(fid(a[:20], b), rel=1e-12)  # the sample form too


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_kid_and_fid_on_cuda_equal_the_cpu_references():
    g = torch.Generator().manual_seed(2)
    a, b = torch.rand(1200, 256, generator=g), torch.rand(1100, 256, generator=g) * 1.1
    assert kid(a, b, 10, 1000, 3, "cuda")[0] == pytest.approx(kid(a, b, 10, 1000, 3)[0], rel=1e-4)
    assert fid(a, b, "cuda") == pytest.approx(fid(a, b), rel=1e-9)
