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


@pytest.mark.slow
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


@pytest.mark.slow
def test_weights_from_environment_variable(inception_files, monkeypatch):
    monkeypatch.setenv("GANS_INCEPTION_WEIGHTS", str(inception_files["pytorch-fid"]))
    extractor = open_inception(None)
    detected = extractor.fmt
    assert detected == "state-dict"
    assert extractor(make_shapes(2))["2048"].shape == (2, 2048)
