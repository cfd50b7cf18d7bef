"""The eval library on its own: protocols, scoring any draw source, and the report records."""
import json

import numpy as np
import pytest
import torch

from gans.eval.metrics import extract, fid
from gans.eval.prdc import prdc
from gans.eval.protocol import PROTOCOLS, Protocol
from gans.eval.records import Draw, Summary
from gans.eval.report import csv_rows, read_json, table, write_json
from gans.eval.scoring import prepare, report, score_draws, score_images
from gans.data.shapes import make_shapes


def test_protocols():
    p = Protocol.build("sngan")
    assert (p.name, p.num_samples, p.repeats, p.reference_count) == ("sngan", 5000, 10, 10000)
    assert Protocol.build("sngan", num_samples=5000).name == "sngan"
    assert Protocol.build("sngan", num_samples=100).name == "custom"
    assert Protocol.build("50k").num_samples == 50000 and PROTOCOLS["50k"]["reference_count"] is None


@pytest.fixture(scope="module")
def setup(tmp_path_factory, inception_files):
    root = tmp_path_factory.mktemp("scoring")
    ref = root / "ref.npz"
    np.savez(ref, x=make_shapes(24, size=16, seed=9).numpy())
    proto = Protocol(name="test", num_samples=12, repeats=2, reference=str(ref), kid_subsets=5, kid_subset_size=12)
    inception, reference = prepare(proto, str(inception_files["torch-fidelity"]), "cpu", "data", root / "cache",
                                   6, False, log=lambda m: None)
    return proto, inception, reference


@pytest.mark.slow
def test_any_callable_is_a_draw_source(setup):
    """A draw is whatever the callable yields for its seed; seeds are protocol.seed + r."""
    proto, inception, ref = setup
    seen = []

    def source(seed):
        seen.append(seed)
        return make_shapes(12, size=16, seed=100 + seed).split(5)

    draws = score_draws(source, inception, ref, proto)
    assert seen == [0, 1] and [d.sample_seed for d in draws] == [0, 1]
    for d, seed in zip(draws, seen):
        feats = extract(make_shapes(12, size=16, seed=100 + seed).split(12), inception)
        assert d.fid == pytest.approx(fid(feats["2048"], (ref.mu, ref.sigma)), rel=1e-9)
        assert d.num_samples == 12 and d.is_mean > 1 and d.kid_mean is not None
        p = prdc(ref.features, feats["2048"], proto.prdc_k)  # from the same pool3 features as FID
        assert (d.precision, d.recall, d.density, d.coverage) == (p.precision, p.recall, p.density, p.coverage)
    summary = Summary.of(draws)
    assert summary.fid == pytest.approx(np.mean([d.fid for d in draws]))
    assert summary.fid_std == pytest.approx(np.std([d.fid for d in draws]))


def test_report_round_trips_through_json(setup, tmp_path):
    proto, inception, ref = setup
    result = score_images(make_shapes(12, size=16, seed=3), inception, ref, proto, batch_size=5)
    rep = report(proto, inception, ref, [result, result])
    path = write_json(rep, tmp_path / "r.json")
    back = read_json(path)
    assert back == rep
    raw = json.loads(path.read_text())
    assert raw["protocol"]["reference_count"] == 24 and raw["protocol"]["weights"]["format"] == "state-dict"
    (overall,) = raw["overall"]  # no groups given: one over all sources
    assert overall["fid"] == pytest.approx(result.summary.fid) and overall["fid_std"] == 0
    rows = csv_rows(back)
    assert [r["row"] for r in rows] == ["draw 0", "over draws", "draw 0", "over draws", "over sources"]
    assert "all 2 sources" in table(back) and overall["sources"] == 2 and overall["group"] is None
    assert back.results[0].summary.coverage is not None and rows[0]["precision"] == result.draws[0].precision


def test_records_ignore_unknown_keys_and_keep_missing_numbers_none():
    d = Draw.from_json({"draw": 0, "sample_seed": 1, "num_samples": 5, "fid": 3.0, "extra": 1})
    assert d.fid == 3.0 and d.is_mean is None
    assert Summary.of([d]).is_mean is None and Summary.of([d]).fid == 3.0


def test_a_reference_that_takes_minutes_is_reported_once_from_the_second_batch(monkeypatch):
    from gans.eval import scoring

    clock = iter([100.0, 101.0])  # the second batch (10 images) takes 1 s: 0.1 s an image
    monkeypatch.setattr(scoring.time, "perf_counter", lambda: next(clock))
    calls = []
    batches = [torch.zeros(10, 3, 2, 2)] * 5
    assert list(scoring._timed(batches, 1000, lambda n, per: calls.append((n, per)))) == batches
    assert calls == [(1000, pytest.approx(0.1))]  # 100 s for 1,000 images: over a minute
    clock = iter([100.0, 101.0])
    list(scoring._timed(batches, 500, lambda n, per: calls.append((n, per))))
    assert len(calls) == 1  # 50 s: no warning


def test_json_overall_summarizes_each_group_apart(setup, tmp_path):
    """Two systems in one report: one overall entry each, never one mean over both."""
    proto, inception, ref = setup
    a = score_images(make_shapes(12, size=16, seed=3), inception, ref, proto, batch_size=5)
    b = score_images(make_shapes(12, size=16, seed=4), inception, ref, proto, batch_size=5)
    rep = report(proto, inception, ref, [a, a, b])
    raw = json.loads(write_json(rep, tmp_path / "r.json", {"x": [a, a], "y": [b]}).read_text())
    assert [(o["group"], o["sources"]) for o in raw["overall"]] == [("x", 2), ("y", 1)]
    assert raw["overall"][0]["fid"] == pytest.approx(a.summary.fid)
    assert raw["overall"][1]["fid"] == pytest.approx(b.summary.fid) and b.summary.fid != pytest.approx(a.summary.fid)
