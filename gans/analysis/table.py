"""The comparison table as text: markdown (cells, notes, the difference table) and table.csv.

The rows come from gans.analysis.rows. A cell reads mean ± std [95% interval]; a system of one seed
shows "± —" after one draw (no spread measured), never a zero; ``*`` marks p < 0.05 against the
baseline, and the difference table adds each p's Holm adjustment over the systems tested.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Sequence

from gans.analysis.rows import LEARNS, METRICS, Metric, MetricStats, SystemRow
from gans.analysis.rundirs import RunDir
from gans.analysis.stats import ALPHA
from gans.core.files import write_atomic


COLUMNS = ("system", "norm", "loss", "seeds", *(m.label for m in METRICS), "FID / untrained", "steps/s", "G params", "D params",
           "evaluated")
MARK = "*"
TEST = "Welch's t-test (two-sided, unequal variances)"  # what a mark means (gans.analysis.rows tests with stats.welch)
NOT_MEASURED = "—"  # the spread of one seed's one draw: none was measured, which is not a spread of zero


def _num(x: float, m: Metric, signed: bool = False) -> str:
    return f"{x * m.scale:{'+' if signed else ''}.{m.digits}f}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _cell(ms: MetricStats, m: Metric) -> str:
    s = ms.seeds
    lost = f"{ms.excluded} diverged, left out" if ms.excluded else ""
    if s is None:
        return lost or "—"
    text = f"{_num(s.mean, m)} ± {NOT_MEASURED if ms.std is None else _num(ms.std, m)}"
    if s.low is not None:
        text += f" [{_num(s.low, m)}, {_num(s.high, m)}]"
    return text + (f" {MARK}" if ms.significant else "") + (f" ({lost})" if lost else "")


def _diff_cell(ms: MetricStats, m: Metric) -> str:
    d = ms.vs_baseline
    if d is None:
        return "—"
    if d.p is None:
        return f"{_num(d.diff, m, True)} (n = {d.n_a} vs {d.n_b}: no test)"
    holm_p = "< 0.001" if ms.p_holm < 0.001 else f"{ms.p_holm:.3f}"
    return (f"{_num(d.diff, m, True)} [{_num(d.low, m, True)}, {_num(d.high, m, True)}], {_p(d.p)}, Holm {holm_p}"
            + (f" {MARK}" if d.significant else ""))


def cells(row: SystemRow) -> list[str]:
    p = row.params
    return [row.system, row.norm, row.loss, " ".join(map(str, row.seeds)),
            *(_cell(row.numbers[m.key], m) for m in METRICS), _learned_cell(row),
            "—" if row.steps_per_s is None else f"{row.steps_per_s:.2f}",
            f"{p['G']:,}" if p else "—", f"{p['D']:,}" if p else "—", row.evaluated]


def _learned_cell(row: SystemRow) -> str:
    if not row.learned:
        return "—"
    lost = row.not_learning
    return (f"{row.learned_mean:.2f} (worst {row.learned_worst:.2f})"
            + (f": not learning on seed{'s' if len(lost) > 1 else ''} {', '.join(map(str, lost))}" if lost else ""))


def diff_table(rows: Sequence[SystemRow]) -> tuple[list[str], list[list[str]]]:
    head = ["system", *(m.label for m in METRICS)]
    tested = [r for r in rows if any(ms.vs_baseline for ms in r.numbers.values())]
    return head, [[r.system, *(_diff_cell(r.numbers[m.key], m) for m in METRICS)] for r in tested]


PAIRS_NOTE = ("pairs.md tests every pair of systems, Holm over all the pairs; a study's stage takes its verdicts "
              "from there (samples/study/PROTOCOL.md). A mark here, and the Holm over the systems tested against the "
              "baseline, come from a smaller family.")


def notes(rows: Sequence[SystemRow], pairs: bool = False) -> list[str]:
    """The footnotes under the table: what each cell holds, and the test behind its mark; ``pairs``
    when pairs.md is written beside it, whose larger family decides (PAIRS_NOTE)."""
    lines = ["mean ± std [95% interval] over seeds: the sample std (ddof=1) and the Student-t interval of the "
             "mean; a system of one seed shows its mean ± std over draws, without an interval, and "
             f"± {NOT_MEASURED} after one draw (no spread measured). Lower FID and KID are better.",
             "FID / untrained: each seed's final FID over its step-0 (untrained) generator's FID, by the same "
             "protocol, where eval.json scored both (gans study does); the mean over seeds and the worst seed; "
             f"a seed above {LEARNS:g} is named as not learning (samples/study/PROTOCOL.md)."]
    if len(rows) > 1:
        lines.append(f"{MARK} differs from the baseline {rows[0].baseline} at p < {ALPHA:g}: {TEST}.")
    return lines + ([PAIRS_NOTE] if pairs else [])


def machines_note(runs: Sequence[RunDir]) -> str | None:
    """Where the runs trained (their machines.jsonl), when any says: steps/s and bitwise repeats hold
    within one machine only, so a table over several says how many runs each trained."""
    if not any(r.machines for r in runs):
        return None  # runs trained before the file existed: say nothing rather than "unknown" for all
    count: dict[str, int] = {}
    for run in runs:
        names = list(dict.fromkeys(m.name for m in run.machines)) or ["not recorded"]
        key = " then ".join(names)  # a run resumed on another machine: both, in order
        count[key] = count.get(key, 0) + 1
    where = "; ".join(f"{name}: {n} run{'s' if n > 1 else ''}" for name, n in sorted(count.items()))
    return f"Trained on {where} (each run's machines.jsonl; steps/s compare within one machine)."


def md_table(head: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in body]


def markdown(rows: Sequence[SystemRow], machines: str | None = None, pairs: bool = False) -> str:
    """The table, its notes and, where given, the machines line (:func:`machines_note`)."""
    lines = md_table(COLUMNS, [cells(r) for r in rows]) + [""]
    lines += [n.replace(MARK, "\\" + MARK, 1) if n.startswith(MARK) else n for n in notes(rows, pairs)]
    lines += [machines] if machines else []
    head, body = diff_table(rows)
    if body:
        lines += ["", f"Differences from the baseline {rows[0].baseline} (system - baseline [95% Welch "
                      f"interval], p, and p Holm-adjusted over {_family(rows)}):", ""]
        lines += md_table(head, body)
    return "\n".join(lines) + "\n"


def _family(rows: Sequence[SystemRow]) -> str:
    """Who Holm adjusted over: per number, the systems whose test ran (one seed gives none), which
    is not every system beside the baseline."""
    sizes = {m.label: k for m in METRICS if (k := sum(r.numbers[m.key].p_holm is not None for r in rows))}
    if not sizes:
        return "no system: none has a test"
    if len(set(sizes.values())) == 1:
        return f"the {next(iter(sizes.values()))} systems with a test"
    return "each number's systems with a test (" + ", ".join(f"{label} {k}" for label, k in sizes.items()) + ")"


def write_csv(rows: Sequence[SystemRow], path: Path) -> Path:
    records = [r.csv() for r in rows]
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, list(records[0]))
    writer.writeheader()
    writer.writerows({k: ("" if v is None or (isinstance(v, float) and math.isnan(v)) else v)
                      for k, v in r.items()} for r in records)
    return write_atomic(path, lambda f: f.write(text.getvalue().encode()))
