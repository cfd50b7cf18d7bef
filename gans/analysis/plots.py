"""The seed band every report draws: per step, the mean over seeds and a band of ± one sample std
(ddof=1, as every spread in gans.analysis.stats), on the steps every seed has."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class Band:
    """Mean and sample std over ``seeds`` series at ``steps``."""

    steps: np.ndarray
    mean: np.ndarray
    std: np.ndarray | None  # None for one seed: no spread to show
    seeds: int


def seed_band(series: Sequence[Mapping[int, float]]) -> Band | None:
    """One ``{step: value}`` per seed -> their band on the steps all of them have; None when there
    is no series or they share no step."""
    series = [s for s in series if s]
    if not series:
        return None
    steps = sorted(set.intersection(*(set(s) for s in series)))
    if not steps:
        return None
    values = np.array([[s[k] for k in steps] for s in series], dtype=float)
    std = values.std(0, ddof=1) if len(series) > 1 else None
    return Band(np.array(steps), values.mean(0), std, len(series))


def draw_band(ax: Any, band: Band, label: str, **line: Any) -> Any:
    """The mean line (labelled with the seed count) and its ± std band; returns the line."""
    line.setdefault("marker", "o" if len(band.steps) <= 20 else None)
    drawn, = ax.plot(band.steps, band.mean, label=f"{label} ({band.seeds} seed{'s' * (band.seeds > 1)})", **line)
    if band.std is not None:
        ax.fill_between(band.steps, band.mean - band.std, band.mean + band.std, alpha=0.25, color=drawn.get_color())
    return drawn


def plot_bands(ax: Any, series_by_label: Mapping[str, Sequence[Mapping[int, float]]], log: bool = False,
               **line: Any) -> int:
    """One band per label on ``ax``; returns how many were drawn (a label whose seeds share no step
    is left out)."""
    drawn = 0
    for label, series in series_by_label.items():
        band = seed_band(series)
        if band is not None:
            draw_band(ax, band, label, **line)
            drawn += 1
    if log and drawn:
        ax.set_yscale("log")
    return drawn


def empty(ax: Any, text: str) -> None:
    """An axis that says why it has nothing to show."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=9, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def save(fig: Any, path: Path, **savefig: Any) -> Path:
    import matplotlib.pyplot as plt

    from gans.core.files import write_atomic

    fig.tight_layout()
    write_atomic(path, lambda f: fig.savefig(f, **{"dpi": 110, "format": path.suffix[1:] or "png", **savefig}))
    plt.close(fig)
    return path
