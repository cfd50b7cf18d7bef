"""A report as a terminal table, CSV rows and files (JSON with every number, CSV one row per draw)."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from gans.eval.records import Report, Summary
from gans.core.files import write_atomic


def _fmt(mean: float | None, std: float | None, scale: float = 1.0, digits: int = 2) -> str:
    if mean is None:
        return "unavailable"
    return f"{mean * scale:.{digits}f} ± {(std or 0.0) * scale:.{digits}f}"


def table(report: Report) -> str:
    """One row per source (mean ± std over draws), then over sources."""
    p, w = report.protocol, report.weights
    head = (f"protocol {p.name}: {p.repeats} x {p.num_samples} samples vs {p.reference}"
            f" ({p.reference_count or 'all'} images); IS {p.is_splits} splits, PRDC k={p.prdc_k}, "
            f"weights {w.format} {w.sha256_16}; mean ± std")
    rows = [("source", "step", "IS", "FID", "KID x1e3", "precision", "recall", "density", "coverage")]

    def row(name: str, step: Any, s: Summary) -> tuple[str, ...]:
        # PRDC are fractions (density a count / k): three digits show a change of one sample in 1,000
        return (name, "" if step is None else str(step), _fmt(s.is_mean, s.is_std),
                _fmt(s.fid, s.fid_std), _fmt(s.kid_mean, s.kid_std, 1e3),
                *(_fmt(getattr(s, key), getattr(s, f"{key}_std"), digits=3)
                  for key in ("precision", "recall", "density", "coverage")))

    for r in report.results:
        rows.append(row(r.source + (" (EMA)" if r.ema else ""), r.step, r.summary))
    if len(report.results) > 1:
        rows.append(row(f"all {len(report.results)} checkpoints", None, report.overall))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join([head] + ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                               for r in rows])


CSV_FIELDS = ("protocol", "reference", "source", "system", "norm", "seed", "step", "ema", "row", "num_samples",
              "is_mean", "is_std", "fid", "fid_std", "kid_mean", "kid_std", "precision", "precision_std",
              "recall", "recall_std", "density", "density_std", "coverage", "coverage_std")


def csv_rows(report: Report) -> list[dict[str, Any]]:
    """One row per draw, one summary row per source, one overall row."""
    p = report.protocol
    base = {"protocol": p.name, "reference": p.reference}
    rows = []
    for r in report.results:
        who = {"source": r.source, "system": r.system, "norm": r.norm, "seed": r.seed, "step": r.step, "ema": r.ema}
        for d in r.draws:
            rows.append({**base, **who, **d.to_json(), "row": f"draw {d.draw}"})
        rows.append({**base, **who, "row": "over draws", "num_samples": p.num_samples, **r.summary.to_json()})
    if len(report.results) > 1:
        rows.append({**base, "source": "all", "row": "over checkpoints", **report.overall.to_json()})
    return [{k: row.get(k) for k in CSV_FIELDS} for row in rows]


def write_json(report: Report, path: Path) -> Path:
    return write_atomic(path, lambda f: f.write((json.dumps(report.to_json(), indent=2) + "\n").encode()))


def read_json(path: Path) -> Report:
    return Report.from_json(json.loads(Path(path).read_text()))


def write_csv(report: Report, path: Path) -> Path:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, CSV_FIELDS)
    writer.writeheader()
    writer.writerows(csv_rows(report))
    return write_atomic(path, lambda f: f.write(text.getvalue().encode()))
