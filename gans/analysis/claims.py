"""`gans diagnose`: the MSN paper's claims about the critic, each checked across seeds, from runs
trained with --diagnose-every.

Every claim says which norm's critic should read higher than which; for each pair of systems with
those norms, and for each of its measures, the reading compares the two systems' seeds at the last
step every seed of both has, with Welch's t-test (:mod:`gans.analysis.stats`): the difference, its
95% interval, p, and a verdict, "holds", "does not hold" or "inconclusive at n = a, b". Each claim
has the paper's own quantity (as the authors' code computes it, :mod:`gans.diagnostics.paper`) and
our corrected ones (:mod:`gans.diagnostics.corrected`; which, :mod:`gans.analysis.claim_measures`),
and a figure of both over training (mean over seeds, band = sample std).

Every system present is its own comparison: a norm placed differently (MSN at every layer, or after
the authors' convs 4, 6 and 7 only) or run with another pass mode can turn a verdict around, so
the page's summary gives one verdict per pair of systems and names each one's placement.

| figure | claim (Subramanian & Chong 2019) |
|---|---|
| grad_sparsity.png | SN makes the critic's gradients sparser than BN and MSN (Fig. 1) |
| mean_drift.png | SN lets pre-activation means drift; BN and MSN hold them (Figs. 3-4) |
| grad_variance.png, grad_hist.png | SN and MSN give gradients of smaller variance than BN (Fig. 5) |
| singular_values.png | BN's layers have larger singular values than SN's and MSN's (Fig. 6) |
| lipschitz.png | (not in the paper: the bound behind it) SN's, MSN's critics have smaller input gradients than BN's |
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from gans.analysis.claim_figures import claim_figure, histogram_figure
from gans.analysis.claim_measures import CLAIMS, Claim, Measure
from gans.analysis.rundirs import RunDir
from gans.analysis.stats import ALPHA, Difference, holm, verdict, welch
from gans.config import TrainConfig
from gans.core.errors import UserError
from gans.core.files import write_atomic
from gans.runs.layout import DIAGNOSTICS
from gans.runs.log_records import Diagnosis


@dataclass
class Diagnosed:
    name: str  # system (norm spec)
    norm: str  # the norm's registry name: bn, sn, msn, ...
    seeds: list[list[Diagnosis]]
    placement: str = ""  # where the norm acts and how real and fake are scored, in words


def placement(cfg: TrainConfig) -> str:
    """'MSN after convs 4, 6, 7 (SN elsewhere); separate passes', 'BN; one joint pass', ..."""
    from gans.models.norms import parse_spec

    name, options = parse_spec(cfg.norm)
    where = name.upper()
    if name == "msn":
        from gans.models.norms.mean_spectral import centred_layers

        layers = centred_layers(options.get("layers", "all"))
        where = ("MSN at every layer but the head" if layers is None else
                 f"MSN after conv{'s' * (len(layers) > 1)} {', '.join(map(str, layers))} (SN elsewhere)")
    return f"{where}; " + ("one joint pass over real and fake" if cfg.d_pass == "joint" else "separate passes")


def load(runs: Sequence[RunDir]) -> list[Diagnosed]:
    """The runs with diagnostics (as :func:`gans.analysis.rundirs.load_runs` read them), grouped by
    system and pass mode (runs of one name that scored real and fake differently are told apart,
    never pooled)."""
    found: dict[tuple[str, str], tuple[TrainConfig, Diagnosed]] = {}
    for run in runs:
        if not run.diagnostics:
            continue
        cfg = run.cfg
        name = f"{cfg.system} ({cfg.norm})"
        _, group = found.setdefault((name, cfg.d_pass), (cfg, Diagnosed(name, cfg.norm.partition(":")[0], [],
                                                                        placement(cfg))))
        group.seeds.append(list(run.diagnostics))
    passes: dict[str, int] = {}
    for name, _ in found:
        passes[name] = passes.get(name, 0) + 1
    return [replace(g, name=f"{cfg.system} ({cfg.norm}, {cfg.d_pass} pass)") if passes[g.name] > 1 else g
            for cfg, g in found.values()]


# ---- verdicts ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reading:
    """One measure of one claim for one pair of systems."""

    claim: Claim
    measure: Measure
    higher: str  # the system claimed to read higher
    lower: str
    step: int | None  # the last step every seed of both has the measure at; None: none
    difference: Difference | None  # higher - lower over seeds
    verdict: str
    p_holm: float | None = None  # p, Holm-adjusted over every reading of the page (diagnose sets it)

    @property
    def effect(self) -> str:
        """The difference and its 95% interval, e.g. '+0.4 [0.31, 0.49]'; '' when not measured."""
        d = self.difference
        if d is None:
            return ""
        return f"{d.diff:+.3g} " + (f"[{d.low:.3g}, {d.high:.3g}]" if d.low is not None else "[no interval]")

    @property
    def p(self) -> str:
        return "" if self.difference is None or self.difference.p is None else f"{self.difference.p:.2g}"

    @property
    def settled(self) -> str:
        """'holds' or 'does not hold' when significant after Holm over the page (on its own test where
        the page has not adjusted it), else 'inconclusive'."""
        p = self.p_holm if self.p_holm is not None else (self.difference.p if self.difference else None)
        significant = p is not None and p < ALPHA and self.verdict in ("holds", "does not hold")
        return self.verdict if significant else "inconclusive"

    def _result(self) -> str:
        if self.difference is None:
            return f": {self.verdict}"
        holm_p = "" if self.p_holm is None else f", Holm {self.p_holm:.2g}"
        return f" = {self.effect}, p = {self.p or 'none'}{holm_p} at step {self.step}: {self.verdict}"

    def detail(self) -> str:
        """The reading without the systems' names."""
        return f"{self.measure.kind}, {self.measure.name}{self._result()}"

    def text(self) -> str:
        return f"{self.measure.kind}, {self.measure.name}: {self.higher} - {self.lower}{self._result()}"


def _values_at(group: Diagnosed, value: Callable[[Diagnosis], float | None]) -> list[dict[int, float]]:
    """Per seed, step -> value where measured and finite."""
    out = []
    for rows in group.seeds:
        series = {}
        for r in rows:
            v = value(r)
            if v is not None and math.isfinite(v):
                series[r.step] = v
        out.append(series)
    return out


def compare(higher: Diagnosed, lower: Diagnosed, measure: Measure, claim: Claim) -> Reading:
    """Welch's test of higher - lower at the last step every seed of both has the measure."""
    a, b = _values_at(higher, measure.value), _values_at(lower, measure.value)
    common = set.intersection(*(set(s) for s in a + b))
    if not common:
        return Reading(claim, measure, higher.name, lower.name, None, None,
                       "not measured (no step where every seed has it; rows predating the measure leave it out)")
    step = max(common)
    d = welch([s[step] for s in a], [s[step] for s in b])
    return Reading(claim, measure, higher.name, lower.name, step, d, verdict(d, +1))


def readings(groups: Sequence[Diagnosed], claim: Claim) -> list[Reading]:
    out = []
    for hi, lo in claim.pairs:
        for a in (g for g in groups if g.norm == hi):
            for b in (g for g in groups if g.norm == lo):
                out.extend(compare(a, b, m, claim) for m in claim.measures)
    return out


@dataclass(frozen=True)
class Comparison:
    """One claim for one pair of systems: its readings and one verdict over them."""

    higher: Diagnosed
    lower: Diagnosed
    rows: tuple[Reading, ...]

    @property
    def verdict(self) -> str:
        """Over the corrected measures, each after Holm: 'holds' when one holds and none goes the
        other way, 'does not hold' the reverse, 'mixed' when both happen, else 'inconclusive'."""
        corrected = [r for r in self.rows if r.measure.kind == "corrected"]
        if not any(r.difference is not None for r in corrected):
            return "not measured"
        found = {r.settled for r in corrected}
        if {"holds", "does not hold"} <= found:
            return "mixed"
        return next((v for v in ("holds", "does not hold") if v in found), "inconclusive")

    def because(self) -> str:
        """The corrected measures that decided the verdict, e.g. 'eval-mode standardized drift (Holm 0.003)'."""
        return ", ".join(f"{r.measure.name} (Holm {r.p_holm:.2g})" if r.p_holm is not None else r.measure.name
                         for r in self.rows if r.measure.kind == "corrected" and r.settled != "inconclusive")

    def text(self) -> str:
        return (f"{self.higher.name} [{self.higher.placement}] - {self.lower.name} [{self.lower.placement}]: "
                f"{self.verdict} ({'; '.join(r.detail() for r in self.rows)})")


def comparisons(rows: Sequence[Reading], groups: Sequence[Diagnosed]) -> list[Comparison]:
    """A claim's readings by pair of systems, in page order."""
    by_name = {g.name: g for g in groups}
    pairs: dict[tuple[str, str], list[Reading]] = {}
    for r in rows:
        pairs.setdefault((r.higher, r.lower), []).append(r)
    return [Comparison(by_name[hi], by_name[lo], tuple(rs)) for (hi, lo), rs in pairs.items()]


def summary(claim: Claim, rows: Sequence[Reading], groups: Sequence[Diagnosed]) -> str:
    """One verdict per pair of systems with each system's placement, then every reading of the pair."""
    if rows:
        return "; ".join(c.text() for c in comparisons(rows, groups))
    present = sorted({g.norm for g in groups})
    wanted = sorted({n for pair in claim.pairs for n in pair})
    return f"no pair to compare: needs runs of {' and '.join(wanted)} critics, these are {', '.join(present)}"


def _markdown(claim: Claim, rows: Sequence[Reading], text: str) -> list[str]:
    lines = [f"## {claim.title} (`{claim.figure}`)", ""]
    if rows:
        lines += ["| kind | measure | higher - lower | step | difference [95% CI] | p | p, Holm | verdict |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            step = "" if r.step is None else r.step
            holm_p = "" if r.p_holm is None else f"{r.p_holm:.2g}"
            lines.append(f"| {r.measure.kind} | {r.measure.name} | {r.higher} - {r.lower} | {step} | {r.effect} | "
                         f"{r.p} | {holm_p} | {r.verdict} |")
    else:
        lines.append(text)
    lines += ["", "Estimators:", ""] + [f"- {m.kind}, {m.name}: {m.what}" for m in claim.measures] + [""]
    return lines


def _verdicts(by_claim: dict[Claim, list[Reading]], groups: Sequence[Diagnosed]) -> list[str]:
    """The page's summary: one row per claim and pair of systems, each system with its placement."""
    lines = ["## Verdicts, one per pair of systems", "",
             "A pair's verdict reads the corrected measures after Holm: 'holds' when one of them holds and none "
             "is significant the other way, 'does not hold' the reverse, 'mixed' when both happen, else "
             "inconclusive. The other measures (the paper's own quantity) are shown beside it, after Holm too.", "",
             "| claim | higher | lower | other measures, after Holm | corrected measures significant after Holm | "
             "verdict |", "|---|---|---|---|---|---|"]
    for claim, rows in by_claim.items():
        for c in comparisons(rows, groups):
            others = "; ".join(f"{r.measure.kind}, {r.measure.name}: " + (r.settled if r.difference else "not measured")
                               for r in c.rows if r.measure.kind != "corrected")
            lines.append(f"| {claim.title} | {c.higher.name}: {c.higher.placement} | {c.lower.name}: "
                         f"{c.lower.placement} | {others} | {c.because() or 'none'} | {c.verdict} |")
    return lines + [""]


def diagnose(runs: Sequence[RunDir], out: Path) -> list[tuple[str, Path, str]]:
    """Write each claim's figure and readings.md to ``out``; return (claim, png, reading) per figure."""
    import matplotlib

    matplotlib.use("Agg")
    groups = load(runs)
    if not groups:
        raise UserError(f"none of these runs has {DIAGNOSTICS}; train with --diagnose-every N")
    out.mkdir(parents=True, exist_ok=True)
    by_claim = {claim: readings(groups, claim) for claim in CLAIMS}
    # the page makes many tests at once: Holm's adjustment over all of them says which verdicts
    # survive the question "could one of these be luck?"
    flat = [r for rows in by_claim.values() for r in rows]
    adjusted = iter(holm([r.difference.p if r.difference else None for r in flat]))
    by_claim = {claim: [replace(r, p_holm=next(adjusted)) for r in rows] for claim, rows in by_claim.items()}
    tests = sum(r.p_holm is not None for rows in by_claim.values() for r in rows)
    made, lines = [], ["# Checking the paper's claims", "",
                       "Welch's t-test over seeds at the last step every seed of both systems has; "
                       "verdicts as in gans.analysis.stats (alpha = 0.05, each test on its own). "
                       f"'p, Holm' is p adjusted over the page's {tests} tests (Holm's step-down): a verdict "
                       "whose Holm p is above 0.05 could be one of the page's chance findings.", ""]
    lines += _verdicts(by_claim, groups)
    for claim, rows in by_claim.items():
        text = summary(claim, rows, groups)
        panels = [(f"{m.kind}: {m.name}", {g.name: _values_at(g, m.value) for g in groups}) for m in claim.measures]
        made.append((claim.title, claim_figure(claim.title, panels, out / claim.figure, claim.log), text))
        lines += _markdown(claim, rows, text)
        if claim.figure == "grad_variance.png":
            png, reading = histogram_figure([(g.name, [rows[-1] for rows in g.seeds]) for g in groups],
                                            out / "grad_hist.png")
            made.append(("Fig. 5: where the gradient magnitudes sit", png, reading))
            lines += ["## Fig. 5: where the gradient magnitudes sit (`grad_hist.png`)", "", reading, ""]
    write_atomic(out / "readings.md", lambda f: f.write("\n".join(lines).encode()))
    return made


__all__ = ["CLAIMS", "Claim", "Comparison", "Diagnosed", "Measure", "Reading", "compare", "comparisons", "diagnose",
           "load", "placement", "readings", "summary"]
