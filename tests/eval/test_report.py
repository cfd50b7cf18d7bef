"""The terminal table and CSV of a report: a spread of one draw is not shown as a zero, sources
are pooled only within the groups the caller names, and the only labels are the caller's."""
from dataclasses import dataclass

from gans.eval.protocol import Protocol
from gans.eval.records import Draw, Report, Result, Summary, Weights
from gans.eval.report import Labels, csv_fields, csv_rows, table


@dataclass
class Kept(Result):
    """A caller's own record: the library knows nothing of what it labels its sources with."""

    family: str | None = None
    tuned: bool | None = None


KEPT = Labels(csv=("family", "tuned"), table=("tuned",), group="family", what="models")


def _result(source, fids, family=None):
    draws = [Draw(i, i, 10, fid=f) for i, f in enumerate(fids)]
    return Kept(source, draws, Summary.of(draws), family=family, tuned=family == "sngan")


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
    text = table(report, {"sngan": [a, b], "msngan": [c]}, KEPT)
    assert "15.00 ± 5.00" in _row(text, "all 2 models of sngan")
    assert "all 3" not in text and "of msngan" not in text  # one source: nothing to pool
    rows = csv_rows(report, {"sngan": [a, b], "msngan": [c]}, KEPT)
    assert [(r["source"], r["family"], r["fid"]) for r in rows if r["row"] == "over models"] == [("all", "sngan", 15.0)]
    assert "all 3 models" in table(report, labels=KEPT)  # ungrouped: the caller said they are one
    plain = csv_rows(report, {"sngan": [a, b]})  # no group column: the group's label goes into the source
    assert [(r["source"], r["row"]) for r in plain if r["source"].startswith("all")] == [("all sngan", "over sources")]


def test_the_only_label_columns_are_the_callers():
    a, b = _result("a", [10.0], "sngan"), _result("b", [20.0], "msngan")
    report = _report([a, b])
    assert csv_fields() == ("protocol", "reference", "source", "row", "num_samples", *csv_fields()[5:])
    assert not {"system", "seed", "step", "run_dir", "family"} & set(csv_fields())
    assert [r["family"] for r in csv_rows(report, labels=KEPT) if r["row"] == "over draws"] == ["sngan", "msngan"]
    header = table(report, labels=KEPT).splitlines()[1].split()
    assert header[:3] == ["source", "tuned", "IS"]  # the table shows the labels the caller picked for it
    assert _row(table(report, labels=KEPT), "a").split()[1] == "yes" and "step" not in table(report)
