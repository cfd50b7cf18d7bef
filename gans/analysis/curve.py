"""Training-time FID step by step: whether a ranking at one length holds at another.

A final table answers "who is ahead at the end"; a reader who trained longer asks whether the order
changed on the way. Per evaluated step this table gives each system's FID over its seeds (mean ±
sample std, n) from the runs' eval.jsonl (--eval-every: the same fixed latents at every step), the
order of the means, and each system's Welch difference from the baseline at that step with its p and
Holm's adjustment over every test in the table (steps x systems): a difference that appears at one
step of many is otherwise bound to turn up by chance. Step 0 is never tested: it scores the untrained
generator, so a difference there is the init's, not what a critic taught, and counting it would
only inflate Holm's family; it is marked "untrained" (or "equal" where the systems share it).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

from gans.analysis.rundirs import RunDir, by_system
from gans.analysis.stats import ALPHA, Difference, SeedStats, finite, holm, welch
from gans.analysis.table import md_table


@dataclass(frozen=True)
class StepRow:
    """One evaluated step: each system's FID over seeds and its difference from the baseline."""

    step: int
    fid: dict[str, SeedStats]  # systems with at least one seed evaluated at this step
    vs_baseline: dict[str, Difference]  # the other systems, where both have a value
    p_holm: dict[str, float | None]
    diverged: dict[str, int] = dataclasses.field(default_factory=dict)  # runs with a non-finite FID here

    @property
    def untrained(self) -> bool:
        """Step 0: the untrained generators, shown but not tested."""
        return self.step == 0


def fid_by_step(runs: Sequence[RunDir], baseline: str | None = None) -> list[StepRow]:
    """The table's rows, in step order; ``baseline`` defaults to the first system."""
    groups = by_system(runs)
    baseline = baseline or next(iter(groups))
    values: dict[int, dict[str, list[float]]] = {}
    for system, group in groups.items():
        for run in group:
            for step, fid in run.fids().items():
                values.setdefault(step, {}).setdefault(system, []).append(fid)
    # a diverged run's NaN is left out of the mean and the test, and counted beside them
    scored = {step: {s: v for s, v in at.items() if finite(v)[0]} for step, at in values.items()}
    diffs = {}
    for step, at in scored.items():
        base = at.get(baseline)
        diffs[step] = {} if step == 0 else {s: welch(v, base) for s, v in at.items() if s != baseline and base}
    tests = [(step, s) for step, ds in diffs.items() for s, d in ds.items() if d.p is not None]
    adjusted = dict(zip(tests, holm([diffs[step][s].p for step, s in tests])))
    return [StepRow(step, {s: SeedStats.of(v) for s, v in scored[step].items()}, diffs[step],
                    {s: adjusted.get((step, s)) for s in diffs[step]},
                    {s: n for s, v in values[step].items() if (n := finite(v)[1])})
            for step in sorted(values)]


def _stats(s: SeedStats | None, diverged: int = 0) -> str:
    lost = f"{diverged} diverged" if diverged else ""
    if s is None:
        return lost or "—"
    return (f"{s.mean:.1f}" + (f" ± {s.std:.1f}" if s.std is not None else "") + f" (n = {s.n}"
            + (f"; {lost}, left out" if lost else "") + ")")


def _diff(d: Difference | None, p_holm: float | None, untrained: str) -> str:
    if d is None:
        return untrained or "—"
    if d.p is None:
        return f"{d.diff:+.1f} (no test)"
    mark = " *" if p_holm is not None and p_holm < ALPHA else ""
    return f"{d.diff:+.1f} [{d.low:+.1f}, {d.high:+.1f}], p = {d.p:.3f}, Holm {p_holm:.3f}{mark}"


def _untrained(row: StepRow, system: str, baseline: str) -> str:
    """What an untested step-0 cell says: whether the two untrained generators were the same."""
    if not row.untrained or system not in row.fid or baseline not in row.fid:
        return ""
    a, b = row.fid[system], row.fid[baseline]
    return "equal" if (a.n, a.mean, a.std) == (b.n, b.mean, b.std) else "untrained"


def markdown(rows: Sequence[StepRow], baseline: str) -> str:
    """The table as markdown, with a line saying what each cell holds."""
    systems = list(dict.fromkeys(s for r in rows for s in r.fid))
    others = [s for s in systems if s != baseline]
    head = ["step", *systems, "order (lowest FID first)", *(f"{s} - {baseline}" for s in others)]
    body = [[str(r.step), *(_stats(r.fid.get(s), r.diverged.get(s, 0)) for s in systems),
             " < ".join(sorted(r.fid, key=lambda s: r.fid[s].mean)),
             *(_diff(r.vs_baseline.get(s), r.p_holm.get(s), _untrained(r, s, baseline)) for s in others)]
            for r in rows]
    lines = md_table(head, body)
    n_tests = sum(1 for r in rows for p in r.p_holm.values() if p is not None)
    lines += ["", "Training-time FID (eval.jsonl) per step: mean ± sample std (ddof=1) over seeds, n seeds. "
              f"Differences: Welch's t, 95% interval, p, and p Holm-adjusted over the table's {n_tests} tests; "
              f"* where that adjusted p < {ALPHA:g}. Lower is better. Step 0 (the untrained generators) is "
              "shown, not tested."]
    return "\n".join(lines) + "\n"
