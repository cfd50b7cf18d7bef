"""The claims' figures (gans.analysis.claims): each claim's measures over training, bands over seeds,
and the histogram of the critic's gradient magnitudes with exact zeros counted."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from gans.analysis.plots import empty, plot_bands, save
from gans.runs.log_records import Diagnosis

Series = dict[str, list[dict[int, float]]]  # system -> one {step: value} per seed


def claim_figure(title: str, panels: Sequence[tuple[str, Series]], path: Path, log: bool = False) -> Path:
    """One panel per measure of a claim: each system's value over generator steps, bands over seeds."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.6), squeeze=False)
    systems = list(dict.fromkeys(system for _, series in panels for system in series))
    colour = {system: f"C{i % 10}" for i, system in enumerate(systems)}  # the same in every panel, as one legend needs
    legend: dict[str, object] = {}
    for ax, (name, series) in zip(axes[0], panels):
        if sum(plot_bands(ax, {system: s}, log=log, color=colour[system]) for system, s in series.items()):
            ax.set_xlabel("generator step")
            handles, labels = ax.get_legend_handles_labels()
            legend.update((label, handle) for handle, label in zip(handles, labels) if label not in legend)
        else:
            empty(ax, "not measured in these runs")
        ax.set_title(name, fontsize=9)
    fig.suptitle(title, fontsize=10)
    if legend:  # one legend under the panels: a long system name in each panel would squeeze its plot
        fig.legend(legend.values(), legend.keys(), loc="upper center", bbox_to_anchor=(0.5, 0.0),
                   ncol=min(len(legend), 2), fontsize=7, frameon=False)
    return save(fig, path, dpi=100, bbox_inches="tight")


def histogram_figure(last: Sequence[tuple[str, Sequence[Diagnosis]]], path: Path) -> tuple[Path, str]:
    """log10 |g| of the critic's weight gradients at each system's last step, zeros as their own bar;
    with the reading the claims' page prints under it."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.8, 3.6))
    parts = []
    for name, rows in last:  # each system's seeds' last diagnosis
        edges = np.array(rows[0].hist_edges)
        counts = np.mean([r.hist_counts for r in rows], axis=0)
        zeros = [r.hist_zeros for r in rows]
        zero = float(np.mean(zeros)) if None not in zeros else None
        total = counts.sum() + (zero or 0.0)
        drawn = ax.stairs(counts / max(total, 1), edges, label=name)
        if zero is not None:
            ax.bar(edges[0] - 1, zero / max(total, 1), width=0.6, color=drawn.get_edgecolor(), alpha=0.5)
        median = edges[min(np.searchsorted(np.cumsum(counts), counts.sum() / 2), len(edges) - 2)]
        share = f"{zero / max(total, 1):.3g}" if zero is not None else "not counted"
        parts.append(f"{name}: median log10 |g| bin {median:.0f}, exact-zero share {share}")
    ax.set(xlabel="log10 |weight gradient| (bar at left: exact zeros)", ylabel="share of entries",
           title="gradient magnitudes, last step")
    ax.legend(fontsize=7)
    return save(fig, path, dpi=100), "; ".join(parts)
