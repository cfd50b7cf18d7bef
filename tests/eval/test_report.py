"""The terminal table and CSV of a report: a spread of one draw is not shown as a zero, and sources
are pooled only within the groups the caller names."""
from gans.eval.protocol import Protocol
from gans.eval.records import Draw, Report, Result, Summary, Weights
from gans.eval.report import csv_rows, table


def _result(source, fids, system=None):
    draws = [Draw(i, i, 10, fid=f) for i, f in enumerate(fids)]
    return Result(source, draws, Summary.of(draws), system=system, step=4)


def _report(results):
    return Report(Protocol.build("study", num_samples=10, reference="ref.npz"), "ref.npz",
                  Weights("w.pth", "state-dict", "0123456789abcdef"), results)


def _row(text, source):
    return next(line for line in text.splitlines() if line.startswith(source))


def test_one_draw_shows_no_spread_and_several_show_theirs():
    text = table(_report([_result("one", [176.8]), _result("two", [10.0, 12.0])]))
    assert "176.80 ± —" in _row(text, "one") and "± 0.00" not in text
    assert "11.00 ± 1.00" in _row(text, "two")
    assert "(—: one draw, no spread measured)" in text.splitlines()[0]
    assert "11.00 ± 1.00" in table(_report([_result("two", [10.0, 12.0])]))


def test_sources_pool_only_within_their_group():
    a, b, c = _result("a", [10.0], "sngan"), _result("b", [20.0], "sngan"), _result("c", [100.0], "msngan")
    report = _report([a, c, b])
    text = table(report, {"sngan": [a, b], "msngan": [c]})
    assert "15.00 ± 5.00" in _row(text, "all 2 checkpoints of sngan")
    assert "all 3" not in text and "of msngan" not in text  # one source: nothing to pool
    rows = csv_rows(report, {"sngan": [a, b], "msngan": [c]})
    assert [(r["source"], r["system"], r["fid"]) for r in rows if r["row"] == "over checkpoints"] == [("all", "sngan", 15.0)]
    assert "all 3 checkpoints" in table(report)  # ungrouped: the caller said they are one
