"""A report as a terminal table, CSV rows and files (JSON with every number, CSV one row per draw)."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from gans.eval.records import Report, Result, Summary
from gans.core.files import write_atomic


NOT_MEASURED = "—"  # the spread of one draw (or one source): there is none to show, not a zero


@dataclass(frozen=True)
class Labels:
    """What a caller's subclass of :class:`Result` adds to tables and CSV rows; the library has no
    labels of its own. ``csv`` and ``table``: its attributes shown as columns after the source;
    ``group``: the CSV column a pooled row's group label goes in (else the source column, after
    "all"); ``what``: what the sources are, in the pooled rows' names."""

    csv: tuple[str, ...] = ()
    table: tuple[str, ...] = ()
    group: str | None = None
    what: str = "sources"


NO_LABELS = Labels()


def _fmt(mean: float | None, std: float | None, scale: float = 1.0, digits: int = 2, measured: bool = True) -> str:
    if mean is None:
        return "unavailable"
    spread = f"{(std or 0.0) * scale:.{digits}f}" if measured else NOT_MEASURED
    return f"{mean * scale:.{digits}f} ± {spread}"


def _cell(value: Any) -> str:
    if value is None or value is False:
        return ""
    return "yes" if value is True else str(value)


def table(report: Report, groups: Mapping[str, Sequence[Result]] | None = None, labels: Labels = NO_LABELS) -> str:
    """One row per source (mean ± std over draws), then one row over each group of sources that
    holds more than one. ``groups`` maps a label to its sources (default: all the report's sources,
    unlabelled); a caller groups sources that may be pooled, e.g. the seeds of one system."""
    p, w = report.protocol, report.weights
    head = (f"protocol {p.name}: {p.repeats} x {p.num_samples} samples vs {p.reference}"
            f" ({p.reference_count or 'all'} images); IS {p.is_splits} splits, PRDC k={p.prdc_k}, "
            f"weights {w.format} {w.sha256_16}{f' run by {w.network}' if w.network else ''}; mean ± std")
    if any(len(r.draws) == 1 for r in report.results):
        head += f" ({NOT_MEASURED}: one draw, no spread measured)"
    rows = [("source", *labels.table, "IS", "FID", "KID x1e3", "precision", "recall", "density", "coverage")]

    def row(name: str, cells: Sequence[str], s: Summary, measured: bool) -> tuple[str, ...]:
        # PRDC are fractions (density a count / k): three digits show a change of one sample in 1,000
        return (name, *cells, _fmt(s.is_mean, s.is_std, measured=measured),
                _fmt(s.fid, s.fid_std, measured=measured), _fmt(s.kid_mean, s.kid_std, 1e3, measured=measured),
                *(_fmt(getattr(s, key), getattr(s, f"{key}_std"), digits=3, measured=measured)
                  for key in ("precision", "recall", "density", "coverage")))

    for label, group, summary in report.groups(groups):
        for r in group:
            rows.append(row(r.source, [_cell(getattr(r, k, None)) for k in labels.table], r.summary, len(r.draws) > 1))
        if len(group) > 1:
            rows.append(row(f"all {len(group)} {labels.what}" + (f" of {label}" if label else ""),
                            [""] * len(labels.table), summary, True))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join([head] + ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                               for r in rows])


def _cell(value: Any) -> str:
    if value is None or value is False:
        return ""
    return "yes" if value is True else str(value)


NUMBER_FIELDS = ("row", "num_samples", "is_mean", "is_std", "fid", "fid_std", "kid_mean", "kid_std", "fid_infinity",
                 "fid_infinity_std", "precision", "precision_std", "recall", "recall_std", "density", "density_std",
                 "coverage", "coverage_std")


def csv_fields(labels: Labels = NO_LABELS) -> tuple[str, ...]:
    """The CSV's columns: the protocol, the source, the caller's labels, then the numbers."""
    return ("protocol", "reference", "source", *labels.csv, *NUMBER_FIELDS)


def csv_rows(report: Report, groups: Mapping[str, Sequence[Result]] | None = None,
             labels: Labels = NO_LABELS) -> list[dict[str, Any]]:
    """One row per draw, one summary row per source, one overall row per group of sources (see
    :func:`table`; default: one over all of them)."""
    p = report.protocol
    base = {"protocol": p.name, "reference": p.reference}
    rows = []
    for r in report.results:
        who = {"source": r.source, **{k: getattr(r, k, None) for k in labels.csv}}
        for d in r.draws:
            rows.append({**base, **who, **d.to_json(), "row": f"draw {d.draw}"})
        rows.append({**base, **who, "row": "over draws", "num_samples": p.num_samples, **r.summary.to_json()})
    for label, group, summary in report.groups(groups):
        if len(group) > 1:
            named = {labels.group: label or None} if labels.group else {"source": f"all {label}".rstrip()}
            rows.append({**base, "source": "all", **named, "row": f"over {labels.what}", **summary.to_json()})
    fields = csv_fields(labels)
    return [{k: row.get(k) for k in fields} for row in rows]


def write_json(report: Report, path: Path, groups: Mapping[str, Sequence[Result]] | None = None) -> Path:
    """The report as JSON; its "overall" block summarizes each of ``groups`` (see :func:`table`)."""
    text = json.dumps(report.to_json(groups), indent=2) + "\n"
    return write_atomic(path, lambda f: f.write(text.encode()))


def read_json(path: Path, result: type[Result] = Result) -> Report:
    """``result``: the record the results are read as (see :meth:`Report.from_json`)."""
    return Report.from_json(json.loads(Path(path).read_text()), result)


def write_csv(report: Report, path: Path, groups: Mapping[str, Sequence[Result]] | None = None,
              labels: Labels = NO_LABELS) -> Path:
    """The rows of :func:`csv_rows` as a CSV file."""
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, csv_fields(labels))
    writer.writeheader()
    writer.writerows(csv_rows(report, groups, labels))
    return write_atomic(path, lambda f: f.write(text.getvalue().encode()))
