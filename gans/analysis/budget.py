"""What a tuning budget buys each system: the expected best score among k of its searched configurations.

A study's [search] (gans.study.search) runs every system at the same K drawn configurations, naming
each run ``system@draw=NN``. Lucic et al. 2018 and compare_gan rank systems by this curve rather than
by one tuned point, since a system whose good settings are rare needs more of the budget to find
them. For k = 1..K the expectation is exact: with the K scores sorted, x_(1) <= ... <= x_(K), the
best of k configurations drawn from them without replacement is x_(i) with probability
C(K - i, k - 1) / C(K, k). The band is a 95% percentile bootstrap over the K configurations (one-sided
near k = K, where a resample's minimum cannot fall below the observed one; the table says so). The
score is KID (lower is better), the study's primary endpoint; FID is drawn beside it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gans.analysis.sweep import draw_of, system_of

BOOTSTRAP = 2000
SHORT_LIST = 3  # samples/study/PROTOCOL.md: each system's best draws re-run at more seeds
SCORES = (("kid", "KID x1e3", 1e3), ("fid", "FID", 1.0))


@dataclass(frozen=True)
class Draw:
    """One system at one drawn configuration: its scores (None: not scored yet)."""

    system: str
    draw: int
    setting: str
    kid: float | None
    fid: float | None


@dataclass(frozen=True)
class Curve:
    """Expected best score among k configurations, k = 1..K, with a 95% bootstrap band."""

    system: str
    score: str
    expected: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    scored: int  # K: the configurations with a score
    missing: int  # drawn but not scored (not run yet, or no finite score)


def draws(rows: Sequence[Any]) -> list[Draw]:
    """The searched rows (compare's SystemRow) as draws, in the table's order; others left out."""
    out = []
    for row in rows:
        system, setting = system_of(row.system)
        if (draw := draw_of(row.system)) is not None:
            # a draw whose run diverged (on any seed) is a failed draw (PROTOCOL.md): +inf, never the
            # best; a draw run at several seeds is scored by their mean
            scores = {k: (math.inf if (n := row.numbers[k]).excluded else sum(n.values) / len(n.values) if n.values
                          else None) for k, _, _ in SCORES}
            out.append(Draw(system, draw, setting, scores["kid"], scores["fid"]))
    return out


def expected_best(scores: Sequence[float], k: int) -> float:
    """E[min of k distinct draws from ``scores``]: exact order statistics. A failed draw (+inf) makes
    it +inf only where k draws can all be failed ones."""
    xs, n = sorted(scores), len(scores)
    total = math.comb(n, k)
    return sum(x * w for i, x in enumerate(xs, start=1) if (w := math.comb(n - i, k - 1) / total) > 0)


def curve(system: str, score: str, values: Sequence[float | None], seed: int = 0) -> Curve | None:
    xs = [float(v) for v in values if v is not None and not math.isnan(v)]  # +inf: a failed draw, kept
    if not xs or all(math.isinf(x) for x in xs):
        return None
    ks = range(1, len(xs) + 1)
    expected = tuple(expected_best(xs, k) for k in ks)
    rng = np.random.default_rng(seed)
    boots = np.array([[expected_best(sample, k) for k in ks]
                      for sample in rng.choice(xs, size=(BOOTSTRAP, len(xs)), replace=True)])
    low, high = np.percentile(boots, [2.5, 97.5], axis=0, method="inverted_cdf")  # no interpolation into +inf
    return Curve(system, score, expected, tuple(low), tuple(high), len(xs), len(values) - len(xs))


def curves(found: Sequence[Draw]) -> list[Curve]:
    """Each system's KID and FID curves (in the order systems first appear)."""
    systems = list(dict.fromkeys(d.system for d in found))
    out = []
    for key, _, _ in SCORES:
        for s in systems:
            c = curve(s, key, [getattr(d, key) for d in found if d.system == s])
            if c is not None:
                out.append(c)
    return out


def short_list(found: Sequence[Draw], system: str) -> list[Draw]:
    """The system's best draws by KID (ties by FID): what PROTOCOL.md re-runs at more seeds."""
    scored = [d for d in found if d.system == system and d.kid is not None and math.isfinite(d.kid)]
    return sorted(scored, key=lambda d: (d.kid, d.fid if d.fid is not None else math.inf))[:SHORT_LIST]


def _fmt(x: float | None, scale: float) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x * scale:.1f}"


def markdown(found: Sequence[Draw], settings: dict[int, str] | None = None, total: int | None = None,
             pending: str | None = None) -> str:
    """budget.md: the curves at k = 1, 3, 6, K; every draw's KID per system with the short list marked;
    ``settings`` (draw -> its flags as text) adds what each draw was; ``total``, the search's K, counts the
    draws not run yet as missing; ``pending`` says why the search cannot short-list yet."""
    systems = list(dict.fromkeys(d.system for d in found))
    made = curves(found)
    lines = ["# Tuning budget: expected best score among k of each system's searched configurations", ""]
    if pending:
        lines += [f"**Not final:** {pending}. The curves below cover the draws scored so far.", ""]
    for key, label, scale in SCORES:
        rows = [c for c in made if c.score == key]
        if not rows:
            continue
        marks = sorted({k for c in rows for k in (1, 3, 6, c.scored) if k <= c.scored})
        lines += [f"## {label}", "", "| system | K scored | " + " | ".join(f"k = {k}" for k in marks) + " |",
                  "|---|---|" + "---|" * len(marks)]
        for c in rows:
            cells = [f"{c.expected[k - 1] * scale:.1f} [{c.low[k - 1] * scale:.1f}, {c.high[k - 1] * scale:.1f}]"
                     if k <= c.scored else "—" for k in marks]
            missing = total - c.scored if total else c.missing
            lines.append(f"| {c.system} | {c.scored}" + (f" ({missing} missing)" if missing else "")
                         + " | " + " | ".join(cells) + " |")
        lines += [f"| {s} | 0: every draw failed or is unscored | " + " | ".join("—" for _ in marks) + " |"
                  for s in systems if s not in {c.system for c in rows}]
        lines.append("")
    picked = {s: {d.draw for d in short_list(found, s)} for s in systems}
    by_draw = sorted({d.draw for d in found})
    lines += ["## Every draw (KID x1e3 / FID; **bold**: the system's short list, PROTOCOL.md stage 2)", "",
              "| draw | " + " | ".join(systems) + (" | configuration |" if settings else " |"),
              "|---|" + "---|" * (len(systems) + bool(settings))]
    cell = {(d.system, d.draw): d for d in found}
    for n in by_draw:
        row = []
        for s in systems:
            d = cell.get((s, n))
            text = "—" if d is None else f"{_fmt(d.kid, 1e3)} / {_fmt(d.fid, 1.0)}"
            row.append(f"**{text}**" if d is not None and n in picked[s] else text)
        lines.append(f"| {n} | " + " | ".join(row) + (f" | {settings.get(n, '')} |" if settings else " |"))
    lines += ["", "Expected best among k configurations drawn without replacement from the system's K scored ones "
              f"(exact order statistics), with a 95% percentile bootstrap band over the K ({BOOTSTRAP} resamples). "
              "Every system ran the same draws (a paired design). Lower is better. Near k = K the band understates "
              "the uncertainty: a resample's best is never below the best score observed (a bootstrap of a "
              "minimum), so there the band's lower end is that score."]
    return "\n".join(lines) + "\n"


def plot(found: Sequence[Draw], path: Path, pending: str | None = None) -> Path:
    """budget.png: each system's curves with their bands; ``pending`` (the search not yet whole) is
    said over the panels, as budget.md says it."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from gans.analysis.plots import save

    made = curves(found)
    fig, axes = plt.subplots(1, len(SCORES), figsize=(5 * len(SCORES), 3.8))
    for ax, (key, label, scale) in zip(axes, SCORES):
        for c in (c for c in made if c.score == key):
            ks = np.arange(1, c.scored + 1)
            line, = ax.plot(ks, np.array(c.expected) * scale, marker="o", ms=3, label=c.system)
            ax.fill_between(ks, np.array(c.low) * scale, np.array(c.high) * scale, alpha=0.2, color=line.get_color())
        ax.set(xlabel="configurations tried (k)", ylabel=f"expected best {label}", title=f"{label}: best of k draws")
        top = max((c.scored for c in made if c.score == key), default=1)
        ax.set_xlim(0.5, top + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # k counts configurations
    if pending:
        fig.suptitle("Not final: " + pending.split(", so ")[0], fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    # below the panels, outside them: the tight bounding box keeps it clear of the axis labels
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(labels), 5), fontsize=8)
    return save(fig, path, bbox_inches="tight")
