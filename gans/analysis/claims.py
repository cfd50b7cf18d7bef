"""`gans diagnose`: the MSN paper's claims about the critic, each checked across seeds, from runs
trained with --diagnose-every.

Every claim says which norm's critic should read higher than which; for each pair of systems with
those norms, and for each of its measures, the reading compares the two systems' seeds at the last
step every seed of both has, with Welch's t-test (:mod:`gans.analysis.stats`): the difference, its
95% interval, p, and a verdict, "holds", "does not hold" or "inconclusive at n = a, b". Each claim
has the paper's own quantity (as the authors' code computes it, :mod:`gans.diagnostics.paper`) and
our corrected one (:mod:`gans.diagnostics.corrected`), and a figure of both over training (mean over
seeds, band = sample std).

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
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from gans.analysis.claim_figures import claim_figure, histogram_figure
from gans.analysis.rundirs import CONFIG, find_run_dirs
from gans.analysis.stats import Difference, holm, verdict, welch
from gans.config import TrainConfig, from_dict
from gans.core.errors import UserError
from gans.core.files import write_atomic
from gans.runs.records import Diagnosis
from gans.runs.runlog import DIAGNOSTICS, read_jsonl


@dataclass
class Diagnosed:
    name: str  # system (norm spec)
    norm: str  # the norm's registry name: bn, sn, msn, ...
    seeds: list[list[Diagnosis]]


def load(run_dirs: Sequence[Path]) -> list[Diagnosed]:
    """Runs with diagnostics, grouped by system; a folder of runs may stand for its runs."""
    found: dict[str, Diagnosed] = {}
    for run in find_run_dirs(run_dirs):
        rows = read_jsonl(run / DIAGNOSTICS)
        if not rows:
            continue
        cfg: TrainConfig = from_dict(tomllib.loads((run / CONFIG).read_text()))
        name = f"{cfg.system} ({cfg.norm})"
        found.setdefault(name, Diagnosed(name, cfg.norm.partition(":")[0], [])).seeds.append(
            [Diagnosis.from_json(r) for r in rows])
    return list(found.values())


# ---- measures ----------------------------------------------------------------------------------
def _over_layers(field: str, convs_only: bool = False, magnitude: bool = False) -> Callable[[Diagnosis], float | None]:
    """Mean over the critic's layers (its conv layers only) of one LayerStats field; None when no
    layer has it (rows written before it existed)."""
    def value(r: Diagnosis) -> float | None:
        vs = [getattr(s, field) for s in r.layers if not convs_only or s.kind == "conv"]
        vs = [abs(v) if magnitude else v for v in vs if v is not None]
        return float(np.mean(vs)) if vs else None
    return value


@dataclass(frozen=True)
class Measure:
    kind: str  # paper (the authors' quantity) or corrected (ours; "summed": the autograd-of-a-sum form)
    name: str
    what: str  # the estimator, one line
    value: Callable[[Diagnosis], float | None]


@dataclass(frozen=True)
class Claim:
    figure: str
    title: str
    pairs: tuple[tuple[str, str], ...]  # (norm claimed higher, norm claimed lower)
    measures: tuple[Measure, ...]
    log: bool = False


CLAIMS = (
    Claim("grad_sparsity.png", "Fig. 1: SN makes the critic's gradients sparser than BN and MSN",
          (("sn", "bn"), ("sn", "msn")), (
              Measure("paper", "exact-zero gradient share",
                      "share of exactly-zero entries of each layer's weight gradient (w.r.t. the weight as the "
                      "forward uses it), one batch; mean over layers", _over_layers("paper_grad_zeros")),
              Measure("corrected", "near-zero gradient share",
                      "share of the trained weight tensors' gradient entries below 1% of the layer's mean |g| "
                      "(exact zeros included), one batch; mean over layers", _over_layers("grad_sparsity")))),
    Claim("mean_drift.png", "Figs. 3-4: SN lets pre-activation means drift; BN and MSN hold them",
          (("sn", "bn"), ("sn", "msn")), (
              Measure("paper", "weight-mean magnitude",
                      "absolute mean of all entries of the conv's weight as the layer holds it (the authors' "
                      "'drift'); mean over conv layers",
                      _over_layers("paper_weight_mean", convs_only=True, magnitude=True)),
              Measure("corrected", "eval-mode output drift",
                      "RMS over channels of each conv slot's output channel means in eval mode (running "
                      "statistics) on a held-out real batch; mean over conv layers",
                      _over_layers("drift_eval_rms", convs_only=True)),
              Measure("corrected", "pre-centring drift",
                      "RMS over channels of each conv's channel means before any centring (train mode, real "
                      "batch as scored); mean over conv layers", _over_layers("drift_pre_rms", convs_only=True))),
          log=True),
    Claim("grad_variance.png", "Fig. 5: SN and MSN give lower-variance gradients than BN",
          (("bn", "sn"), ("bn", "msn")), (
              Measure("paper", "gradient spread over entries",
                      "variance over the entries of each layer's weight gradient on one batch (the width of the "
                      "authors' histogram); mean over layers", _over_layers("paper_grad_var")),
              Measure("corrected", "relative variance over mini-batches",
                      "per layer sum_e var_b(g) / sum_e mean_b(g^2) over 4 mini-batches (ddof = 1), scale-free; "
                      "mean over layers", _over_layers("grad_var_rel"))),
          log=True),
    Claim("singular_values.png", "Fig. 6: BN's layers have larger singular values than SN's and MSN's",
          (("bn", "sn"), ("bn", "msn")), (
              Measure("paper", "mean kernel sigma",
                      "largest singular value of each k x k kernel W[o, i] of the conv weight as the layer holds "
                      "it (SN's normalized, BN's raw: gains not folded), averaged over (o, i); mean over conv "
                      "layers", _over_layers("paper_sigma", convs_only=True)),
              Measure("corrected", "effective operator norm",
                      "largest singular value of each layer's eval-mode operator (BN's gamma / sqrt(running var "
                      "+ eps) folded in) at its input size; mean over layers", _over_layers("eff_sigma_operator"))),
          log=True),
    Claim("lipschitz.png", "Not a figure of the paper: SN's and MSN's critics have smaller input gradients than BN's",
          (("bn", "sn"), ("bn", "msn")), (
              Measure("summed", "summed-output gradient",
                      "max over real, fake and interpolated samples of ||d(sum_j D(x_j)) / dx_i||, batches as "
                      "training scores them", lambda r: r.lipschitz_summed),
              Measure("corrected", "per-sample gradient",
                      "max over a few real, fake and interpolated samples of ||dD(x_i) / dx_i|| with the rest of "
                      "the batch fixed, batches as training scores them", lambda r: r.lipschitz_sample)),
          log=True),
)


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

    def text(self) -> str:
        head = f"{self.measure.kind}, {self.measure.name}: {self.higher} - {self.lower}"
        if self.difference is None:
            return f"{head}: {self.verdict}"
        return f"{head} = {self.effect}, p = {self.p or 'none'} at step {self.step}: {self.verdict}"


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


def summary(claim: Claim, rows: Sequence[Reading], groups: Sequence[Diagnosed]) -> str:
    if rows:
        return "; ".join(r.text() for r in rows)
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


def diagnose(run_dirs: list[Path], out: Path) -> list[tuple[str, Path, str]]:
    """Write each claim's figure and readings.md to ``out``; return (claim, png, reading) per figure."""
    import matplotlib

    matplotlib.use("Agg")
    groups = load(run_dirs)
    if not groups:
        raise UserError("none of these runs has diagnostics.jsonl; train with --diagnose-every N")
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


__all__ = ["CLAIMS", "Claim", "Diagnosed", "Measure", "Reading", "compare", "diagnose", "load", "readings"]
