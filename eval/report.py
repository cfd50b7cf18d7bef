"""A report as a terminal table, CSV rows and files (JSON with every number, CSV one row per draw)."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from gans.eval.records import Report, Result, Summary
from gans.core.files import write_atomic


NOT_MEASURED = "—"  # the spread of one draw (or one source): there is none to show, not a zero


def _fmt(mean: float | None, std: float | None, scale: float = 1.0, digits: int = 2, measured: bool = True) -> str:
    if mean is None:
        return "unavailable"
    spread = f"{(std or 0.0) * scale:.{digits}f}" if measured else NOT_MEASURED
    return f"{mean * scale:.{digits}f} ± {spread}"


def table(report: Report, groups: Mapping[str, Sequence[Result]] | None = None) -> str:
    """One row per source (mean ± std over draws), then one row over each group of sources that
    holds more than one. ``groups`` maps a label to its sources (default: all the report's sources,
    unlabelled); a caller groups sources that may be pooled, e.g. the seeds of one system."""
    p, w = report.protocol, report.weights
    head = (f"protocol {p.name}: {p.repeats} x {p.num_samples} samples vs {p.reference}"
            f" ({p.reference_count or 'all'} images); IS {p.is_splits} splits, PRDC k={p.prdc_k}, "
            f"weights {w.format} {w.sha256_16}; mean ± std")
    if any(len(r.draws) == 1 for r in report.results):
        head += f" ({NOT_MEASURED}: one draw, no spread measured)"
    rows = [("source", "step", "IS", "FID", "KID x1e3", "precision", "recall", "density", "coverage")]

    def row(name: str, step: Any, s: Summary, measured: bool) -> tuple[str, ...]:
        # PRDC are fractions (density a count / k): three digits show a change of one sample in 1,000
        return (name, "" if step is None else str(step), _fmt(s.is_mean, s.is_std, measured=measured),
                _fmt(s.fid, s.fid_std, measured=measured), _fmt(s.kid_mean, s.kid_std, 1e3, measured=measured),
                *(_fmt(getattr(s, key), getattr(s, f"{key}_std"), digits=3, measured=measured)
                  for key in ("precision", "recall", "density", "coverage")))

    for label, group in (groups or {"": report.results}).items():
        for r in group:
            rows.append(row(r.source + (" (EMA)" if r.ema else ""), r.step, r.summary, len(r.draws) > 1))
        if len(group) > 1:
            rows.append(row(f"all {len(group)} checkpoints" + (f" of {label}" if label else ""), None,
                            Summary.of(r.summary for r in group), True))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join([head] + ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                               for r in rows])


CSV_FIELDS = ("protocol", "reference", "source", "system", "norm", "seed", "step", "ema", "row", "num_samples",
              "is_mean", "is_std", "fid", "fid_std", "kid_mean", "kid_std", "precision", "precision_std",
              "recall", "recall_std", "density", "density_std", "coverage", "coverage_std")


def csv_rows(report: Report, groups: Mapping[str, Sequence[Result]] | None = None) -> list[dict[str, Any]]:
    """One row per draw, one summary row per source, one overall row per group of sources (see
    :func:`table`; default: one over all of them)."""
    p = report.protocol
    base = {"protocol": p.name, "reference": p.reference}
    rows = []
    for r in report.results:
        who = {"source": r.source, "system": r.system, "norm": r.norm, "seed": r.seed, "step": r.step, "ema": r.ema}
        for d in r.draws:
            rows.append({**base, **who, **d.to_json(), "row": f"draw {d.draw}"})
        rows.append({**base, **who, "row": "over draws", "num_samples": p.num_samples, **r.summary.to_json()})
    for label, group in (groups or {"": report.results}).items():
        if len(group) > 1:
            rows.append({**base, "source": "all", "system": label or None, "row": "over checkpoints",
                         **Summary.of(r.summary for r in group).to_json()})
    return [{k: row.get(k) for k in CSV_FIELDS} for row in rows]


def write_json(report: Report, path: Path) -> Path:
    return write_atomic(path, lambda f: f.write((json.dumps(report.to_json(), indent=2) + "\n").encode()))


def read_json(path: Path) -> Report:
    return Report.from_json(json.loads(Path(path).read_text()))


def write_csv(report: Report, path: Path, groups: Mapping[str, Sequence[Result]] | None = None) -> Path:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, CSV_FIELDS)
    writer.writeheader()
    writer.writerows(csv_rows(report, groups))
    return write_atomic(path, lambda f: f.write(text.getvalue().encode()))
