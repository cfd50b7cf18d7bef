"""The comparison's rows: each system's numbers over its seeds and its differences from a baseline.

Runs of one system (the preset, or its --label) are its seeds. Numbers come from each run's ``eval.json`` (written by `gans eval`)
or, failing that, the last row of its training-time ``eval.jsonl``; the row says which.

Per system and number (IS, FID, KID, precision, recall, density, coverage) a row holds the seeds'
mean, sample std (ddof=1) and 95% t-interval of the mean (gans.analysis.stats). A system of one seed
keeps that run's std over its draws instead (population std, as `gans eval` reports it); after one
draw no spread was measured and it is None, not a zero. Every other system is tested against a
baseline (``--baseline``, default the first system) with Welch's t-test, and each number's p is
Holm-adjusted over the systems tested, for a reader who asks whether any of the k differences is real.
A run whose endpoint is not finite counts as diverged: left out of every number, and counted.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Sequence

from gans.analysis.rundirs import RunDir, by_system
from gans.analysis.stats import Difference, SeedStats, finite, holm, welch
from gans.core.errors import UserError


@dataclass(frozen=True)
class Metric:
    """One headline number: its CSV prefix, its table header and the Summary fields it is read from."""

    key: str
    label: str
    field: str
    std_field: str  # the Summary's std over draws: what a one-seed system shows
    scale: float = 1.0
    digits: int = 2


# PRDC are fractions (density a count / k): three digits show a change of one sample in 1,000
METRICS = (Metric("is", "IS", "is_mean", "is_std"), Metric("fid", "FID", "fid", "fid_std"),
           Metric("kid", "KID x1e3", "kid_mean", "kid_std", 1e3), Metric("fid_inf", "FID∞", "fid_infinity", "fid_infinity_std"),
           *(Metric(k, k, k, f"{k}_std", digits=3) for k in ("precision", "recall", "density", "coverage")))
# PROTOCOL.md's bar: a run learned when its final FID is at most this times its untrained generator's
LEARNS = 0.6


@dataclass(frozen=True)
class MetricStats:
    """One system's one number over its seeds, and its difference from the baseline system."""

    values: tuple[float, ...]  # each seed's number (seeds without it left out)
    seeds: SeedStats | None  # None when no seed has the number
    draw_std: float | None  # the one seed's std over its draws (n = 1 only; None after one draw: not measured)
    vs_baseline: Difference | None  # this system minus the baseline; None for the baseline itself or no numbers
    p_holm: float | None = None  # vs_baseline's p, Holm-adjusted over every system tested on this number
    excluded: int = 0  # seeds whose number is not finite (a diverged run): left out of the stats and the test

    @property
    def per_seed(self) -> list[float]:
        """Each seed's number, NaN for each diverged seed: what a test takes, so it counts what it leaves out."""
        return [*self.values, *[math.nan] * self.excluded]

    @property
    def std(self) -> float | None:
        """The spread the table shows: over seeds (ddof=1), or with one seed over its draws."""
        if self.seeds is None:
            return None
        return self.seeds.std if self.seeds.n > 1 else self.draw_std

    @property
    def significant(self) -> bool:
        return self.vs_baseline is not None and self.vs_baseline.significant


@dataclass
class SystemRow:
    """One row of the table: a system and its seeds."""

    system: str
    norm: str
    loss: str
    seeds: list[int]
    numbers: dict[str, MetricStats]  # by Metric.key
    evaluated: str
    steps_per_s: float | None
    params: dict[str, int] | None
    baseline: str  # the system every row is tested against
    learned_by_seed: tuple[tuple[int, float], ...] = ()  # (seed, its final FID / its untrained generator's), where scored

    @property
    def learned(self) -> tuple[float, ...]:
        return tuple(ratio for _, ratio in self.learned_by_seed)

    @property
    def learned_mean(self) -> float | None:
        return sum(self.learned) / len(self.learned) if self.learned else None

    @property
    def learned_worst(self) -> float | None:
        return max(self.learned) if self.learned else None

    @property
    def not_learning(self) -> tuple[int, ...]:
        """The seeds whose final FID is above LEARNS times their untrained generator's."""
        return tuple(seed for seed, ratio in self.learned_by_seed if ratio > LEARNS)

    @property
    def is_baseline(self) -> bool:
        return self.system == self.baseline

    def csv(self) -> dict[str, Any]:
        """The row as table.csv has it: per number n, mean, std, the interval, and the difference
        from the baseline with its interval, p and whether it is significant."""
        out: dict[str, Any] = {"system": self.system, "norm": self.norm, "loss": self.loss,
                               "seeds": " ".join(map(str, self.seeds)), "runs": len(self.seeds),
                               "baseline": self.baseline}
        for m in METRICS:
            ms, k = self.numbers[m.key], m.key
            s, d = ms.seeds, ms.vs_baseline
            out.update({f"{k}_n": s.n if s else 0, f"{k}_mean": s.mean if s else None, f"{k}_std": ms.std,
                        f"{k}_low": s.low if s else None, f"{k}_high": s.high if s else None,
                        f"{k}_diff": d.diff if d else None, f"{k}_diff_low": d.low if d else None,
                        f"{k}_diff_high": d.high if d else None, f"{k}_p": d.p if d else None,
                        f"{k}_significant": d.significant if d else None, f"{k}_p_holm": ms.p_holm,
                        f"{k}_diverged": ms.excluded})
        out.update(fid_untrained_mean=self.learned_mean, fid_untrained_worst=self.learned_worst,
                   evaluated=self.evaluated, steps_per_s=self.steps_per_s,
                   params_g=self.params["G"] if self.params else None,
                   params_d=self.params["D"] if self.params else None)
        return out


ENDPOINTS = ("kid_mean", "fid", "fid_infinity")  # a non-finite one marks the whole run diverged (PROTOCOL.md)


def failed(run: RunDir) -> bool:
    """A run that diverged: in training (a study's record of it), or in its score, where an endpoint
    is not finite. Every number of such a run counts as diverged, not only the one that broke, so a
    run cannot be ranked by its KID while its FID says it failed."""
    if run.diverged:
        return True
    summary = run.final.summary if run.final else None
    return summary is not None and any(v is not None and not math.isfinite(v)
                                       for v in (getattr(summary, f) for f in ENDPOINTS))


def _scored(group: Sequence[RunDir], m: Metric) -> list[float]:
    """Each scored seed's number, and NaN for a run that diverged (stats.finite drops and counts it)."""
    return ([float(v) for r in group if r.final and not failed(r) and (v := getattr(r.final.summary, m.field)) is not None]
            + [math.nan for r in group if failed(r)])


def _values(group: Sequence[RunDir], m: Metric) -> list[float]:
    return finite(_scored(group, m))[0]


def _metric_stats(group: Sequence[RunDir], m: Metric, baseline: list[float] | None) -> MetricStats:
    values, excluded = finite(_scored(group, m))
    if not values:
        return MetricStats((), None, None, None, excluded=excluded)
    draw_std = None
    if len(values) == 1:
        final = next(r.final for r in group if r.final and not failed(r)
                     and (v := getattr(r.final.summary, m.field)) is not None and math.isfinite(v))
        draw_std = getattr(final.summary, m.std_field) if final.draws > 1 else None
    diff = welch(values, baseline) if baseline else None
    return MetricStats(tuple(values), SeedStats.of(values), draw_std, diff, excluded=excluded)


def table_rows(runs: Sequence[RunDir], baseline: str | None = None) -> list[SystemRow]:
    """One row per system, in the order the runs came; each tested against ``baseline`` (default:
    the first system)."""
    groups = by_system(runs)
    baseline = baseline or next(iter(groups))
    if baseline not in groups:
        raise UserError(f"--baseline {baseline!r} is not a system of these runs ({', '.join(groups)}); "
                        "pass one of them")
    base = {m.key: _values(groups[baseline], m) for m in METRICS}
    rows = []
    for system, group in groups.items():
        numbers = {m.key: _metric_stats(group, m, None if system == baseline else base[m.key]) for m in METRICS}
        rates = [r.steps_per_s for r in group if r.steps_per_s]
        rows.append(SystemRow(system, group[0].cfg.norm, group[0].cfg.loss, [r.cfg.seed for r in group], numbers,
                              "; ".join(sorted({r.final.source for r in group if r.final}
                                               | ({f"{sum(map(failed, group))} diverged"}
                                                  if any(map(failed, group)) else set()))) or "not evaluated",
                              sum(rates) / len(rates) if rates else None,
                              next((r.params for r in group if r.params), None), baseline,
                              tuple((r.cfg.seed, x) for r in group
                                    if not failed(r) and (x := r.learned) is not None and math.isfinite(x))))
    for m in METRICS:
        adjusted = holm([d.p if (d := r.numbers[m.key].vs_baseline) else None for r in rows])
        for r, p in zip(rows, adjusted):
            r.numbers[m.key] = replace(r.numbers[m.key], p_holm=p)
    return rows
