"""The comparison's figures: training-time FID and the losses per system (mean line, ± one sample
std band over seeds), and each system's newest sample grid side by side. A figure with nothing to
show is not drawn (each returns None and writes no file): an empty frame only takes room."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Sequence

from gans.analysis.plots import empty, plot_bands, save
from gans.analysis.rundirs import RunDir, by_system
from gans.runs.layout import grid_step


def plot_fid(runs: Sequence[RunDir], path: Path) -> Path | None:
    """Training-time FID by system; None when no run was scored during training (--eval-every)."""
    import matplotlib.pyplot as plt

    if not any(r.fids() for r in runs):
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    series = {f"{system} ({group[0].cfg.norm})": [r.fids() for r in group]
              for system, group in by_system(runs).items()}
    if not plot_bands(ax, series):  # scored, but no system's seeds share a step
        plt.close(fig)
        return None
    ax.set(xlabel="generator step", ylabel="FID (training-time)", title="FID vs step by system")
    ax.legend()
    return save(fig, path)


def plot_losses(runs: Sequence[RunDir], path: Path) -> Path | None:
    """Critic and generator loss by system; None when no run logged losses."""
    import matplotlib.pyplot as plt

    if not any(r.series("loss_d") or r.series("loss_g") for r in runs):
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, key, title in zip(axes, ("loss_d", "loss_g"), ("critic (D) loss", "generator (G) loss")):
        if plot_bands(ax, {system: [r.series(key) for r in group] for system, group in by_system(runs).items()}):
            ax.legend(fontsize=8)
        ax.set(xlabel="generator step", title=title)
    return save(fig, path)


def plot_samples(runs: Sequence[RunDir], path: Path) -> Path | None:
    """Each system's newest sample grid; None when no run has one."""
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    if not any(r.grid for r in runs):
        return None
    groups = by_system(runs)
    fig, axes = plt.subplots(1, len(groups), figsize=(3.2 * len(groups), 3.5), squeeze=False)
    for ax, (system, group) in zip(axes[0], groups.items()):
        run = next((r for r in group if r.grid), None)
        if run:
            ax.imshow(mpimg.imread(run.grid), interpolation="nearest")
            step = grid_step(run.grid)
            norm = textwrap.fill(run.cfg.norm.replace(",", ", "), 34)  # long norm specs wrap, not overlap
            ax.set_title(f"{system}\n{norm}\n{run.path.name}, step {step}", fontsize=8)
            ax.axis("off")
        else:
            empty(ax, f"{system}: no sample grid")
    return save(fig, path, bbox_inches="tight")  # equal-aspect images: tight_layout alone clips the titles
