"""The budget curve against brute force over every k-subset, and compare's budget files from a search."""
import itertools
import math

import numpy as np
import pytest

from gans.analysis.budget import Draw, curve, draws, expected_best, markdown, short_list
from gans.analysis.compare import compare
from gans.analysis.rundirs import load_runs
from gans.analysis.rows import table_rows
from tests.analysis.fake_runs import write_run


@pytest.mark.parametrize("seed", range(6))
def test_expected_best_of_k_is_the_mean_minimum_over_every_k_subset(seed):
    xs = list(np.random.default_rng(seed).uniform(0.05, 0.3, size=3 + seed))
    for k in range(1, len(xs) + 1):
        brute = np.mean([min(c) for c in itertools.combinations(xs, k)])
        assert expected_best(xs, k) == pytest.approx(brute)


def test_the_curve_falls_from_the_mean_to_the_minimum_and_its_band_holds_it():
    xs = [0.30, 0.12, 0.25, 0.18, 0.40]
    c = curve("sngan", "kid", [*xs, None, float("nan")])
    assert c.expected[0] == pytest.approx(np.mean(xs)) and c.expected[-1] == pytest.approx(min(xs))
    assert all(a >= b for a, b in zip(c.expected, c.expected[1:]))
    assert all(lo <= e <= hi for lo, e, hi in zip(c.low, c.expected, c.high))
    assert (c.scored, c.missing) == (5, 2)


def test_the_short_list_is_the_best_three_by_kid_with_fid_breaking_ties():
    found = [Draw("s", i, f"draw={i}", kid, fid) for i, (kid, fid) in
             enumerate([(0.2, 50), (0.1, 90), (0.1, 80), (None, None), (0.3, 10), (0.15, 70)])]
    assert [d.draw for d in short_list(found, "s")] == [2, 1, 5]
    text = markdown(found)
    assert "| 2 | **100.0 / 80.0** |" in text and "| 3 | — / — |" in text


def test_compare_writes_budget_files_for_a_search_and_not_for_plain_runs(tmp_path):
    for system in ("sngan", "msngan"):
        for draw in range(4):
            write_run(tmp_path / "search", system, 0, label=f"{system}@draw={draw:02d}",
                      numbers={"fid": [100.0 + 10 * draw + (system == "sngan")], "kid_mean": [0.1 + 0.01 * draw]})
    written = compare([tmp_path / "search"], tmp_path / "out")
    assert {"budget.md", "budget.png"} <= set(written) and "sweep.md" not in written
    text = written["budget.md"].read_text()
    assert "| sngan | 4 |" in text and "| msngan | 4 |" in text and "n-critic" in text
    write_run(tmp_path / "plain", "sngan", 0, numbers={"fid": [50.0]})
    assert "budget.md" not in compare([tmp_path / "plain"], tmp_path / "out2")


def test_a_failed_draw_counts_as_never_best_and_the_curve_says_when_k_draws_can_all_fail():
    xs = [0.2, math.inf, 0.1, math.inf]
    assert expected_best(xs, 3) == pytest.approx(np.mean([min(c) for c in itertools.combinations(xs, 3)]))
    assert expected_best(xs, 2) == math.inf and expected_best(xs, 4) == pytest.approx(0.1)
    c = curve("s", "kid", xs)
    assert c.scored == 4 and c.expected[-1] == pytest.approx(0.1) and c.low[-1] <= 0.1 <= c.high[-1]


def test_a_system_whose_every_draw_failed_is_listed_not_dropped():
    found = [Draw("ok", 0, "draw=0", 0.1, 50.0), Draw("ok", 1, "draw=1", 0.2, 60.0),
             Draw("bad", 0, "draw=0", math.inf, math.inf), Draw("bad", 1, "draw=1", math.inf, math.inf)]
    assert "| bad | 0: every draw failed or is unscored |" in markdown(found)


def test_a_run_with_a_finite_kid_but_a_broken_fid_is_a_failed_draw(tmp_path):
    for draw, (kid, fid) in enumerate([(0.001, float("nan")), (0.2, 90.0)]):
        write_run(tmp_path / "runs", "sngan", 0, label=f"sngan@draw={draw}", numbers={"fid": [fid], "kid_mean": [kid]})
    found = {d.draw: d for d in draws(table_rows(load_runs([tmp_path / "runs"])))}
    assert found[0].kid == math.inf and [d.draw for d in short_list(list(found.values()), "sngan")] == [1]


def test_a_draw_run_at_several_seeds_is_scored_by_their_mean_and_fails_with_any_of_them(tmp_path):
    for seed, (k0, k1) in enumerate([(0.1, 0.3), (0.3, float("nan"))]):
        for draw, kid in enumerate((k0, k1)):
            write_run(tmp_path / "runs", "sngan", seed, label=f"sngan@draw={draw}", numbers={"fid": [90.0], "kid_mean": [kid]})
    found = {d.draw: d for d in draws(table_rows(load_runs([tmp_path / "runs"])))}
    assert found[0].kid == pytest.approx(0.2) and found[1].kid == math.inf
