"""PRDC equals the authors' prdc package, on a hand-checked case too, and scoring a draw gives it
from the one feature pass that FID and KID use."""
import dataclasses
from unittest import mock

import numpy as np
import pytest
import torch

import gans.eval.reference as reference_module
from gans.data.shapes import make_shapes
from gans.eval.frechet import statistics
from gans.eval.prdc import PRDC, knn_radii, prdc
from gans.eval.protocol import Protocol
from gans.eval.records import Draw, Report, Result, Summary
from gans.eval.reference import Reference
from gans.eval.report import csv_rows, table
from gans.eval.scoring import report, score_draws

NUMBERS = ("precision", "recall", "density", "coverage")


def package_prdc(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    from prdc import compute_prdc

    return {name: float(v) for name, v in compute_prdc(real, fake, k).items()}


@pytest.mark.parametrize("n, m, dim, k, chunk", [
    (100, 100, 16, 5, 2048),  # one tile
    (120, 70, 32, 5, 2048),  # N > M
    (60, 150, 8, 3, 2048),  # N < M
    (37, 53, 12, 1, 8),  # partial tiles at both ends, k = 1
    (90, 64, 24, 10, 16),  # k+1 spans tile boundaries, M a multiple of the tile
    (50, 40, 6, 4, 3),  # tiles narrower than k+1
])
def test_equals_prdc_package(n, m, dim, k, chunk):
    rng = np.random.default_rng(n * m + k)
    # non-negative and shifted like Inception pool3 features, partly overlapping so no number is 0 or 1
    real = np.abs(rng.normal(1.0, 1.0, (n, dim)))
    fake = np.abs(rng.normal(1.5, 0.8, (m, dim)))
    expected = package_prdc(real, fake, k)
    got = prdc(torch.from_numpy(real), torch.from_numpy(fake), k, chunk)
    for name in NUMBERS:
        assert getattr(got, name) == pytest.approx(expected[name], abs=1e-6), name
    assert 0 < got.precision < 1 and 0 < got.recall < 1 and 0 < got.coverage < 1


def test_float32_input_and_radii_equal_the_package():
    from prdc.prdc import compute_nearest_neighbour_distances

    rng = np.random.default_rng(1)
    x = rng.normal(size=(70, 20)).astype(np.float32)
    for k, chunk in ((1, 2048), (5, 9), (7, 64)):
        got = knn_radii(torch.from_numpy(x), k, chunk)
        assert got.dtype == torch.float64
        np.testing.assert_allclose(got.numpy(), compute_nearest_neighbour_distances(x.astype(np.float64), k),
                                   rtol=1e-9)
    y = rng.normal(0.3, 1.0, (50, 20)).astype(np.float32)
    expected = package_prdc(x.astype(np.float64), y.astype(np.float64), 5)
    got = prdc(x, y, 5, chunk=16)  # numpy input, converted to float64 before any distance
    assert dataclasses.asdict(got) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("chunk", [1, 2, 3, 2048])
def test_hand_checked_one_dimensional_case(chunk):
    """real 0 1 3 7, fake 2 4 11 20, k = 1.

    Real radii (nearest other real): 0->1: 1, 1->0: 1, 3->1: 2, 7->3: 4.
    Fake radii (nearest other fake): 2->4: 2, 4->2: 2, 11->4: 7, 20->11: 9.
    precision: fake 2 is inside B(3, 2) (on B(1, 1)'s boundary), 4 inside B(3, 2) and B(7, 4),
      11 on B(7, 4)'s boundary, 20 nowhere: 2/4; density: (1 + 2 + 0 + 0) / (1 * 4) = 3/4.
    recall: real 0 is on B(2, 2)'s boundary, 1 and 3 inside B(2, 2), 7 inside B(11, 7): 3/4.
    coverage: nearest fake of 0 is 2 at 2 >= 1, of 1 is 2 at 1 = 1 (boundary), of 3 is at 1 < 2,
      of 7 is 4 at 3 < 4: 2/4.
    With <= instead of < precision, recall and coverage would each be 1 larger in the numerator.
    """
    real = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
    fake = torch.tensor([[2.0], [4.0], [11.0], [20.0]])
    assert knn_radii(real, 1, chunk).tolist() == [1, 1, 2, 4]
    assert knn_radii(fake, 1, chunk).tolist() == [2, 2, 7, 9]
    assert prdc(real, fake, k=1, chunk=chunk) == PRDC(precision=0.5, recall=0.75, density=0.75, coverage=0.5)
    assert dataclasses.asdict(prdc(real, fake, k=1, chunk=chunk)) == package_prdc(real.numpy(), fake.numpy(), 1)


@pytest.mark.parametrize("chunk", [1, 3, 2048])
def test_point_itself_is_excluded_and_duplicates_are_neighbours(chunk):
    """0 0 1 5: k = 1 gives 0 (the other 0), 0, 1, 4; k = 2 gives 1 (0 then 1), 1, 1 (0, 0), 5 (4, 5, 5)."""
    x = torch.tensor([[0.0], [0.0], [1.0], [5.0]])
    assert knn_radii(x, 1, chunk).tolist() == [0, 0, 1, 4]
    assert knn_radii(x, 2, chunk).tolist() == [1, 1, 1, 5]
    assert knn_radii(x, 3, chunk).tolist() == [5, 5, 4, 5]
    with pytest.raises(ValueError, match="need more than 4 points"):
        knn_radii(x, 4, chunk)


def test_given_real_radii_are_used_as_computed():
    rng = np.random.default_rng(2)
    real, fake = torch.from_numpy(rng.normal(size=(40, 5))), torch.from_numpy(rng.normal(size=(30, 5)))
    assert prdc(real, fake, 3, chunk=7, real_radii=knn_radii(real, 3)) == prdc(real, fake, 3, chunk=7)
    with pytest.raises(ValueError, match="real_radii has shape"):
        prdc(real, fake, 3, real_radii=torch.ones(39))
    with pytest.raises(ValueError, match="differ in dimension"):
        prdc(real, fake[:, :4])
    with pytest.raises(ValueError, match="must be positive"):
        prdc(real, fake, k=0)


# ---- scoring: PRDC from the draw's one feature pass ---------------------------------------------------
DIM = 16


class CountingExtractor:
    """A stand-in for Inception (no 299-px pass): a fixed projection of the pixels to DIM features,
    counting every image it sees."""

    device = "cpu"

    def __init__(self) -> None:
        self.images_seen = 0
        self.projection = torch.randn(3 * 16 * 16, DIM, generator=torch.Generator().manual_seed(0)) / 16

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return (images.float().flatten(1) / 255) @ self.projection

    def __call__(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        self.images_seen += len(images)
        return {"2048": self.features(images)}


def reference_of(features: torch.Tensor | None, mu_sigma_of: torch.Tensor) -> Reference:
    mu, sigma = statistics(mu_sigma_of.numpy())
    return Reference("ref", len(mu_sigma_of), mu, sigma, features, "ref.npz")


def test_scoring_a_draw_reports_prdc_from_its_one_feature_pass():
    extractor = CountingExtractor()
    real = extractor.features(make_shapes(30, size=16, seed=9))
    ref = reference_of(real, real)
    proto = Protocol(name="test", num_samples=12, repeats=2, reference="ref", kid_subsets=5, kid_subset_size=12,
                     prdc_k=3)

    def source(seed: int):
        return make_shapes(12, size=16, seed=100 + seed).split(5)

    with mock.patch.object(reference_module, "knn_radii", wraps=reference_module.knn_radii) as radii:
        draws = score_draws(source, extractor, ref, proto)
    assert extractor.images_seen == proto.repeats * proto.num_samples  # no second pass for PRDC
    assert radii.call_count == 1  # the reference's radii serve every draw
    for d in draws:
        expected = prdc(real, extractor.features(make_shapes(12, size=16, seed=100 + d.sample_seed)), k=3)
        assert {n: getattr(d, n) for n in NUMBERS} == dataclasses.asdict(expected)
        assert d.fid is not None and d.kid_mean is not None and d.is_mean is None  # no logits here
    summary = Summary.of(draws)
    for name in NUMBERS:
        values = [getattr(d, name) for d in draws]
        assert getattr(summary, name) == pytest.approx(np.mean(values))
        assert getattr(summary, f"{name}_std") == pytest.approx(np.std(values))


def test_statistics_only_reference_gives_no_prdc_like_no_kid():
    extractor = CountingExtractor()
    real = extractor.features(make_shapes(30, size=16, seed=9))
    proto = Protocol(name="test", num_samples=12, repeats=1, reference="ref", kid_subsets=5, kid_subset_size=12)
    (d,) = score_draws(lambda seed: make_shapes(12, size=16, seed=seed).split(12), extractor,
                       reference_of(None, real), proto)
    assert d.fid is not None and d.kid_mean is None
    assert all(getattr(d, n) is None for n in NUMBERS)


def test_reports_carry_prdc_and_old_records_read_as_none():
    draws = [Draw(0, 0, 10, fid=5.0, precision=0.5, recall=0.25, density=1.25, coverage=0.75),
             Draw(1, 1, 10, fid=7.0, precision=0.7, recall=0.35, density=0.75, coverage=0.25)]
    summary = Summary.of(draws)
    assert (summary.precision, summary.precision_std, summary.density, summary.density_std) == \
        pytest.approx((0.6, 0.1, 1.0, 0.25))
    inception = mock.Mock(path="w.pth", fmt="state-dict", digest="0" * 16, network="torch-fidelity")
    ref = reference_of(None, torch.randn(30, 4, generator=torch.Generator().manual_seed(0)))
    rep = report(Protocol(name="test"), inception, ref, [Result("a", draws, summary)])
    rows = csv_rows(rep)
    assert [r["coverage"] for r in rows] == pytest.approx([0.75, 0.25, 0.5])
    assert rows[-1]["coverage_std"] == pytest.approx(0.25)
    text = table(rep)
    assert "PRDC k=5" in text and "coverage" in text.splitlines()[1] and "0.500 ± 0.250" in text
    assert Report.from_json(rep.to_json()) == rep

    # an eval.json row and protocol written before PRDC existed
    old = rep.to_json()
    for r in old["results"]:
        for d in r["draws"] + [r["summary"]]:
            for key in [k for k in d if k.startswith(NUMBERS)]:
                del d[key]
    del old["protocol"]["prdc_k"]
    back = Report.from_json(old)
    assert back.protocol.prdc_k == 5 and back.results[0].draws[0].fid == 5.0
    assert all(getattr(x, n) is None for x in back.results[0].draws + [back.results[0].summary] for n in NUMBERS)
    assert "unavailable" in table(back)
