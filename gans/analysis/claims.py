"""`gans diagnose`: the MSN paper's claims about the critic, one figure and one measured reading each,
from runs trained with --diagnose-every. One curve per system (mean over seeds, band = std).

| figure | claim (Subramanian & Chong 2019) |
|---|---|
| grad_sparsity.png | SN makes the critic's gradients sparser (Fig. 1) |
| mean_drift.png | SN lets pre-activation means drift; BN and MSN hold them (Figs. 3-4) |
| grad_variance.png, grad_hist.png | SN and MSN give gradients of smaller variance than BN (Fig. 5) |
| singular_values.png | BN, SN and MSN differ in their layers' mean singular values (Fig. 6) |
| lipschitz.png | (the bound behind it all) SN's reshaped-matrix norm vs the conv operator's, and the critic's gradient norm |
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from gans.config import TrainConfig, from_dict
from gans.runs.records import Diagnosis
from gans.core.errors import UserError
from gans.runs.runlog import DIAGNOSTICS, read_jsonl

DRIFT_LAYER = 4  # the reading's layer: mid-critic, where the MSN seed code first centres


@dataclass
class Diagnosed:
    name: str  # system (norm)
    seeds: list[list[Diagnosis]]


def load(run_dirs: list[Path]) -> list[Diagnosed]:
    """Runs with diagnostics, grouped by system; a folder of runs may stand for its runs."""
    import tomllib

    found: dict[str, list[list[Diagnosis]]] = {}
    for p in run_dirs:
        inner = [p] if (p / "config.toml").is_file() else sorted(d for d in p.iterdir() if (d / "config.toml").is_file()) \
            if p.is_dir() else []
        if not inner:
            raise UserError(f"{p} is not a run directory (no config.toml); pass directories written by gans train")
        for run in inner:
            rows = read_jsonl(run / DIAGNOSTICS)
            if not rows:
                continue
            cfg: TrainConfig = from_dict(tomllib.loads((run / "config.toml").read_text()))
            found.setdefault(f"{cfg.system} ({cfg.norm})", []).append([Diagnosis.from_json(r) for r in rows])
    return [Diagnosed(name, seeds) for name, seeds in found.items()]


def _series(d: Diagnosed, value: Callable[[Diagnosis], float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps every seed has, and the mean and std over seeds of ``value`` there."""
    steps = sorted(set.intersection(*({r.step for r in rows} for rows in d.seeds)))
    values = np.array([[value(next(r for r in rows if r.step == s)) for s in steps] for rows in d.seeds], float)
    return np.array(steps), values.mean(0), values.std(0)


def _last(d: Diagnosed, value: Callable[[Diagnosis], float]) -> tuple[int, float]:
    steps, mean, _ = _series(d, value)
    return int(steps[-1]), float(mean[-1])


def _plot(ax, groups: list[Diagnosed], value: Callable[[Diagnosis], float], log: bool = False) -> None:
    for d in groups:
        steps, mean, std = _series(d, value)
        line, = ax.plot(steps, mean, label=f"{d.name} ({len(d.seeds)} seed{'s' * (len(d.seeds) > 1)})")
        if len(d.seeds) > 1:
            ax.fill_between(steps, mean - std, mean + std, alpha=0.25, color=line.get_color())
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("generator step")
    ax.legend(fontsize=7)


def _layer(r: Diagnosis, i: int):
    return next(s for s in r.layers if s.layer == i)


def _drift(r: Diagnosis, i: int) -> float:
    """RMS over channels of the layer's channel means after its norm: how far they sit from zero."""
    s = _layer(r, i)
    return float(np.hypot(s.drift_post_mean, s.drift_post_std))


def _reading(what: str, groups: list[Diagnosed], value: Callable[[Diagnosis], float], fmt: str = "{:.3g}") -> str:
    parts = []
    step = None
    for d in groups:
        step, v = _last(d, value)
        parts.append(f"{d.name} {fmt.format(v)}")
    return f"{what} at step {step}: " + ", ".join(parts)


def figures(groups: list[Diagnosed], out: Path) -> list[tuple[str, Path, str]]:
    """Write the figures; return (claim, png, reading) for each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    n_layers = len(groups[0].seeds[0][0].layers)
    made = []

    def save(fig, name: str) -> Path:
        fig.tight_layout()
        fig.savefig(out / name, dpi=100)
        plt.close(fig)
        return out / name

    mean_sparsity = lambda r: float(np.mean([s.grad_sparsity for s in r.layers]))  # noqa: E731
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    _plot(axes[0], groups, mean_sparsity)
    axes[0].set_title("weight-gradient sparsity (mean over layers)")
    _plot(axes[1], groups, lambda r: r.input_grad_sparsity)
    axes[1].set_title("input-gradient sparsity")
    made.append(("Fig. 1: SN increases gradient sparsity", save(fig, "grad_sparsity.png"),
                 _reading("weight-gradient sparsity (share of entries below 1% of their layer's mean |g|)",
                          groups, mean_sparsity)))

    shown = [i for i in (2, DRIFT_LAYER, 6, n_layers - 1) if i <= n_layers - 1]
    fig, axes = plt.subplots(1, len(shown), figsize=(3.4 * len(shown), 3.4), squeeze=False)
    for ax, i in zip(axes[0], shown):
        _plot(ax, groups, lambda r, i=i: _drift(r, i))
        ax.set_title(f"layer {i}: RMS of channel means", fontsize=9)
    made.append(("Figs. 3-4: SN's pre-activation means drift; BN and MSN hold them", save(fig, "mean_drift.png"),
                 _reading(f"mean drift (RMS over channels of the channel means after the norm) at layer {DRIFT_LAYER}",
                          groups, lambda r: _drift(r, DRIFT_LAYER))))

    mean_var = lambda r: float(np.mean([s.grad_var for s in r.layers]))  # noqa: E731
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    _plot(ax, groups, mean_var, log=True)
    ax.set_title("weight-gradient variance over mini-batches (mean over layers)", fontsize=9)
    made.append(("Fig. 5: SN and MSN give lower-variance gradients than BN", save(fig, "grad_variance.png"),
                 _reading("gradient variance over 4 mini-batches (mean over entries and layers)", groups, mean_var)))

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for d in groups:
        last = [rows[-1] for rows in d.seeds]
        edges = np.array(last[0].hist_edges)
        counts = np.mean([r.hist_counts for r in last], axis=0)
        ax.step(edges[:-1], counts / max(counts.sum(), 1), where="post", label=d.name)
    ax.set(xlabel="log10 |weight gradient|", ylabel="share of entries", title="gradient magnitudes, last step")
    ax.legend(fontsize=7)
    made.append(("Fig. 5: where the gradient magnitudes sit", save(fig, "grad_hist.png"),
                 _reading("median log10 |g| bin", groups, lambda r: float(np.array(r.hist_edges)[
                     np.searchsorted(np.cumsum(r.hist_counts), sum(r.hist_counts) / 2)]), "{:.0f}")))

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for d in groups:
        layers = range(1, n_layers + 1)
        last = [rows[-1] for rows in d.seeds]
        axes[0].plot(layers, [np.mean([_layer(r, i).sigma_mean for r in last]) for i in layers], marker="o", label=d.name)
        line, = axes[1].plot(layers, [np.mean([_layer(r, i).sigma_operator for r in last]) for i in layers],
                             marker="o", label=f"{d.name}: conv operator")
        axes[1].plot(layers, [np.mean([_layer(r, i).sigma_reshaped for r in last]) for i in layers], marker="x",
                     linestyle="--", color=line.get_color(), label=f"{d.name}: reshaped weight")
    axes[0].set(xlabel="critic layer", title="mean singular value (reshaped weight), last step")
    axes[1].set(xlabel="critic layer", title="largest singular value, last step")
    for ax in axes:
        ax.legend(fontsize=6)
    made.append(("Fig. 6: mean singular values per layer", save(fig, "singular_values.png"),
                 _reading("mean singular value, averaged over layers", groups,
                          lambda r: float(np.mean([s.sigma_mean for s in r.layers])))))

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    _plot(axes[0], groups, lambda r: r.lipschitz, log=True)
    axes[0].set_title("max ||grad_x D|| (real, fake, interpolated)")
    _plot(axes[1], groups, lambda r: r.d_gap)
    axes[1].set_title("D(real) - D(fake)")
    operator = lambda r: float(np.prod([s.sigma_operator for s in r.layers]))  # noqa: E731
    made.append(("The Lipschitz bound: conv operators vs reshaped weights, and the critic's gradient norm",
                 save(fig, "lipschitz.png"),
                 _reading("critic gradient norm (max over real, fake, interpolated)", groups, lambda r: r.lipschitz)
                 + "; " + _reading("product of the layers' conv-operator norms", groups, operator)))
    return made


def diagnose(run_dirs: list[Path], out: Path) -> list[tuple[str, Path, str]]:
    groups = load(run_dirs)
    if not groups:
        raise UserError("none of these runs has diagnostics.jsonl; train with --diagnose-every N")
    made = figures(groups, out)
    lines = ["# Checking the paper's claims", ""] + [f"- **{claim}** (`{png.name}`): {reading}"
                                                     for claim, png, reading in made]
    (out / "readings.md").write_text("\n".join(lines) + "\n")
    return made
