"""Every pair of systems tested on one number: the ranking a comparison can claim.

The table tests each system against one baseline (k - 1 tests); a ranking ("A ahead of B") makes a
claim about every pair, so samples/study/PROTOCOL.md's confirmation tests all k (k - 1) / 2 pairs with
Welch's t and adjusts over that family with Holm. "A ahead of B" is written only where the adjusted p
is below ALPHA; otherwise the pair is inconclusive at its n.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

from gans.analysis.stats import ALPHA, Difference, holm, welch
from gans.analysis.rows import LEARNS, METRICS, Metric, SystemRow
from gans.analysis.table import md_table

PRIMARY = ("kid", "fid_inf")  # PROTOCOL.md: KID decides, FID-infinity is reported beside it


@dataclass(frozen=True)
class Pair:
    """System b minus system a on one number (lower is better for every number ranked here)."""

    a: str
    b: str
    difference: Difference
    p_holm: float | None

    def verdict(self) -> str:
        d = self.difference
        if self.p_holm is None:
            return f"no test ({d.reason or 'n < 2'})"
        if self.p_holm >= ALPHA:
            return f"inconclusive at n = {d.n_b}, {d.n_a}"
        return f"{self.a} ahead of {self.b}" if d.diff > 0 else f"{self.b} ahead of {self.a}"


def pairs(rows: Sequence[SystemRow], key: str) -> list[Pair]:
    """Every pair of systems with the number ``key`` (a system whose every seed diverged included),
    Holm-adjusted over all of them: a pair that cannot be tested (n < 2, no variance) stays in the
    family at p = 1, so losing a run never makes the other pairs' bar lower than PROTOCOL.md's."""
    scored = [r for r in rows if r.numbers[key].per_seed]
    found = [(a.system, b.system, welch(b.numbers[key].per_seed, a.numbers[key].per_seed)) for a, b in combinations(scored, 2)]
    adjusted = holm([1.0 if d.p is None else d.p for _, _, d in found])
    return [Pair(a, b, d, None if d.p is None else p) for (a, b, d), p in zip(found, adjusted)]


def _n(d: Difference) -> str:
    """n of A and of B (Difference of B - A: its n_b is A's), with the diverged seeds left out."""
    lost = [f"{side}: {n} diverged, left out" for side, n in (("A", d.excluded_b), ("B", d.excluded_a)) if n]
    return f"{d.n_b}, {d.n_a}" + (f" ({'; '.join(lost)})" if lost else "")


def _metric(key: str) -> Metric:
    return next(m for m in METRICS if m.key == key)


def _learned_lines(rows: Sequence[SystemRow]) -> list[str]:
    """PROTOCOL.md's "learned" bar per system: a seed above it is named as not learning on that seed."""
    lines = []
    for r in rows:
        if not r.learned:
            lines.append(f"- {r.system}: not scored against its untrained generator")
        elif lost := r.not_learning:
            ratio = dict(r.learned_by_seed)
            lines.append(f"- {r.system}: **not learning** on seed{'s' if len(lost) > 1 else ''} "
                         + ", ".join(f"{seed} ({ratio[seed]:.2f})" for seed in lost))
        else:
            gone = r.numbers["fid"].excluded
            lines.append(f"- {r.system}: every {'scored ' if gone else ''}seed learned (worst {r.learned_worst:.2f}, "
                         f"n = {len(r.learned)}{f'; {gone} diverged, left out' if gone else ''})")
    return lines


def curve_lines(rows: Sequence[SystemRow], curves: dict[str, list[dict[int, float]]]) -> list[str]:
    """FID at each sample count (mean over the seeds scored so) beside FID-infinity and KID, and the
    systems' order by each: where sample size reorders FID, the orders differ (PROTOCOL.md's endpoints)."""
    sizes = sorted({n for found in curves.values() for c in found for n in c})
    if not sizes:
        return []
    mean: dict[str, dict[str, float]] = {}
    for r in rows:
        found = curves.get(r.system, [])
        mean[r.system] = {f"FID at {n:,}": sum(c[n] for c in found if n in c) / k
                          for n in sizes if (k := sum(n in c for c in found))}
        for key in ("fid_inf", "kid"):
            if (st := r.numbers[key].seeds) is not None:
                mean[r.system][_metric(key).label] = st.mean * _metric(key).scale
    columns = [*(f"FID at {n:,}" for n in sizes), _metric("fid_inf").label, _metric("kid").label]
    body = [[r.system, *(f"{mean[r.system][c]:.1f}" if c in mean[r.system] else "—" for c in columns)] for r in rows]
    order = [[c, " < ".join(sorted((s for s in mean if c in mean[s]), key=lambda s: mean[s][c]))] for c in columns]
    return ["## FID by sample count", "", *md_table(["system", *columns], body), "",
            "Mean over each system's scored seeds (each N a random subset of the same samples, the largest all of them). Systems in order, lowest first:",
            "", *md_table(["by", "order"], order), ""]


def markdown(rows: Sequence[SystemRow], stage: str | None = None,
             curves: dict[str, list[dict[int, float]]] | None = None) -> str:
    """pairs.md: for KID and FID-infinity, every pair's difference, p, Holm's p and the verdict; FID at
    each sample count where ``curves`` (system -> each seed's {N: FID}) has it; for a study's stage,
    which one and each system's "learned" check (samples/study/PROTOCOL.md)."""
    lines = ["# Every pair of systems", ""]
    if stage:
        lines += [f"Stage: {stage} (samples/study/PROTOCOL.md), from every run of the stage.", ""]
    for key in PRIMARY:
        found, m = pairs(rows, key), _metric(key)
        if not found:
            continue
        body = [[p.a, p.b, _n(p.difference), "—" if math.isnan(p.difference.diff) else
                 f"{p.difference.diff * m.scale:+.1f}" + (
                    f" [{p.difference.low * m.scale:+.1f}, {p.difference.high * m.scale:+.1f}]"
                    if p.difference.low is not None else ""),
                 "—" if p.difference.p is None else f"{p.difference.p:.3g}",
                 "—" if p.p_holm is None else f"{p.p_holm:.3g}", p.verdict()] for p in found]
        lines += [f"## {m.label}" + (" (primary)" if key == PRIMARY[0] else " (secondary)"), "",
                  *md_table(["A", "B", "n (A, B)", "B - A [95% Welch interval]", "p", f"p, Holm over {len(found)}",
                             "verdict"], body), ""]
    lines += curve_lines(rows, curves or {})
    if stage:
        lines += [f"## Learned (each run's final FID at most {LEARNS:g}x its untrained generator's)", "",
                  *_learned_lines(rows), ""]
    lines.append(f"Welch's t (two-sided) per pair; Holm's adjustment over each number's pairs, a pair without a test "
                 f"counted at p = 1; 'ahead' only where the adjusted p < {ALPHA:g}. A diverged seed is left out of its "
                 "test and counted in n's column. Lower is better.")
    return "\n".join(lines) + "\n"
