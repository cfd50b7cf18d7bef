"""`gans compare`: the discriminators side by side from run directories alone, without wandb.

Runs of one system (the preset, or its --label) are its seeds. Numbers come from each run's ``eval.json`` (written by `gans eval`)
or, failing that, the last row of its training-time ``eval.jsonl``; the table says which.
"""
from __future__ import annotations

import base64
import csv
import html
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gans.config import TrainConfig, from_dict
from gans.core.errors import UserError
from gans.core.files import check_writable
from gans.eval.records import Summary
from gans.eval.report import read_json
from gans.runs.records import EvalPoint
from gans.runs.runlog import DIAGNOSTICS, EVALS, METRICS, read_jsonl

HEADLINE = (("is", "is_mean", "is_std"), ("fid", "fid", "fid_std"), ("kid", "kid_mean", "kid_std"))


@dataclass
class Final:
    """A run's headline numbers and where they came from."""

    summary: Summary
    source: str


@dataclass
class Run:
    path: Path
    cfg: TrainConfig
    metrics: list[dict[str, Any]]
    evals: list[EvalPoint]
    final: Final | None
    grid: Path | None
    params: dict[str, int] = field(default_factory=dict)

    @property
    def steps_per_s(self) -> float | None:
        rates = [r["steps_per_s"] for r in self.metrics[1:] or self.metrics if "steps_per_s" in r]
        return float(np.median(rates)) if rates else None


def _final_numbers(run_dir: Path, evals: list[EvalPoint]) -> Final | None:
    path = run_dir / "eval.json"
    if path.exists():
        try:
            report = read_json(path)
            latest = max(report.results, key=lambda r: r.step or 0)
        except (json.JSONDecodeError, KeyError, ValueError, TypeError) as e:
            raise UserError(f"{path} is not a gans eval report ({type(e).__name__}); re-run gans eval "
                            "or delete it") from None
        p = report.protocol
        return Final(latest.summary, f"gans eval {p.name} ({p.repeats}x{p.num_samples} "
                                     f"vs {Path(str(p.reference)).name}), step {latest.step}")
    if evals:
        last = evals[-1]
        return Final(Summary(is_mean=last.is_mean, is_std=last.is_std, fid=last.fid, fid_std=0.0,
                             kid_mean=last.kid_mean, kid_std=last.kid_std),
                     f"train-time ({last.num_samples} samples), step {last.step}")
    return None


def load_run(run_dir: Path) -> Run:
    from gans.models import count_parameters
    from gans.runs.networks import build_discriminator, build_generator

    config = run_dir / "config.toml"
    if not config.is_file():
        raise UserError(f"{run_dir} is not a run directory (no config.toml); pass directories written by "
                        "gans train, or their parent")
    cfg = from_dict(tomllib.loads(config.read_text()))
    evals = [EvalPoint.from_json(r) for r in read_jsonl(run_dir / EVALS)]
    grids = sorted((run_dir / "samples").glob("step_*.png"))
    params = {"G": count_parameters(build_generator(cfg)), "D": count_parameters(build_discriminator(cfg))}
    return Run(run_dir, cfg, read_jsonl(run_dir / METRICS), evals, _final_numbers(run_dir, evals),
               grids[-1] if grids else None, params)


def find_runs(paths: list[Path]) -> list[Run]:
    """Run directories as given, or the run directories directly inside a given parent."""
    runs = []
    for p in paths:
        if not p.is_dir():
            raise UserError(f"{p} does not exist; pass run directories written by gans train")
        if (p / "config.toml").is_file():
            runs.append(load_run(p))
        else:
            inner = sorted(d for d in p.iterdir() if (d / "config.toml").is_file())
            if not inner:
                raise UserError(f"{p} holds no runs (no config.toml in it or its subfolders); "
                                "pass directories written by gans train")
            runs += [load_run(d) for d in inner]
    if not runs:
        raise UserError("no runs to compare; pass run directories")
    return runs


def _by_system(runs: list[Run]) -> dict[str, list[Run]]:
    groups: dict[str, list[Run]] = {}
    for r in runs:
        groups.setdefault(r.cfg.system, []).append(r)
    return groups


def table_rows(runs: list[Run]) -> list[dict[str, Any]]:
    """One row per system. With several seeds: mean and std over seeds of each run's number; with
    one: that run's own mean and std (over its draws)."""
    rows = []
    for system, group in _by_system(runs).items():
        row: dict[str, Any] = {"system": system, "norm": group[0].cfg.norm, "loss": group[0].cfg.loss,
                               "seeds": " ".join(str(r.cfg.seed) for r in group), "runs": len(group)}
        finals = [r.final for r in group if r.final]
        for name, mean_key, std_key in HEADLINE:
            values = [getattr(f.summary, mean_key) for f in finals if getattr(f.summary, mean_key) is not None]
            if len(values) >= 2:
                row[f"{name}_mean"], row[f"{name}_std"] = float(np.mean(values)), float(np.std(values))
            elif len(values) == 1:
                row[f"{name}_mean"], row[f"{name}_std"] = values[0], getattr(finals[0].summary, std_key)
            else:
                row[f"{name}_mean"] = row[f"{name}_std"] = None
        row["evaluated"] = "; ".join(sorted({f.source for f in finals})) or "not evaluated"
        rates = [r.steps_per_s for r in group if r.steps_per_s]
        row["steps_per_s"] = float(np.mean(rates)) if rates else None
        row["params_g"], row["params_d"] = group[0].params["G"], group[0].params["D"]
        rows.append(row)
    return rows


COLUMNS = ("system", "norm", "loss", "seeds", "IS", "FID", "KID x1e3", "steps/s", "G params", "D params", "evaluated")


def _pm(mean: float | None, std: float | None, scale: float = 1.0) -> str:
    if mean is None:
        return "—"
    return f"{mean * scale:.2f} ± {(std or 0.0) * scale:.2f}"


def _cells(row: dict[str, Any]) -> list[str]:
    return [row["system"], row["norm"], row["loss"], row["seeds"], _pm(row["is_mean"], row["is_std"]),
            _pm(row["fid_mean"], row["fid_std"]), _pm(row["kid_mean"], row["kid_std"], 1e3),
            "—" if row["steps_per_s"] is None else f"{row['steps_per_s']:.2f}",
            f"{row['params_g']:,}", f"{row['params_d']:,}", row["evaluated"]]


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


# ---- plots ---------------------------------------------------------------------------------------
def _band(ax, series: list[dict[int, float]], label: str) -> bool:
    """Mean line and mean ± std band over seeds, on the steps every seed has."""
    steps = sorted(set.intersection(*(set(s) for s in series))) if series else []
    if not steps:
        return False
    values = np.array([[s[k] for k in steps] for s in series], dtype=float)
    mean, std = values.mean(0), values.std(0)
    line, = ax.plot(steps, mean, marker="o" if len(steps) <= 20 else None, label=f"{label} ({len(series)} seed{'s' * (len(series) > 1)})")
    if len(series) > 1:
        ax.fill_between(steps, mean - std, mean + std, alpha=0.25, color=line.get_color())
    return True


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=9, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_fid(runs: list[Run], path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    drawn = False
    for system, group in _by_system(runs).items():
        series = [{e.step: e.fid for e in r.evals if e.fid is not None} for r in group if r.evals]
        drawn |= _band(ax, series, f"{system} ({group[0].cfg.norm})") if series else False
    if drawn:
        ax.set(xlabel="generator step", ylabel="FID (training-time)", title="FID vs step by system")
        ax.legend()
    else:
        _empty(ax, "no training-time FID in these runs: train with --eval-every N")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_losses(runs: list[Run], path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, key, title in zip(axes, ("loss_d", "loss_g"), ("critic (D) loss", "generator (G) loss")):
        for system, group in _by_system(runs).items():
            _band(ax, [{m["step"]: m[key] for m in r.metrics if key in r.metrics[0]} for r in group if r.metrics],
                  system)
        ax.set(xlabel="generator step", title=title)
        if ax.lines:
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_samples(runs: list[Run], path: Path) -> Path:
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    groups = _by_system(runs)
    fig, axes = plt.subplots(1, len(groups), figsize=(3.2 * len(groups), 3.5), squeeze=False)
    for ax, (system, group) in zip(axes[0], groups.items()):
        run = next((r for r in group if r.grid), None)
        if run:
            ax.imshow(mpimg.imread(run.grid), interpolation="nearest")
            step = int(run.grid.stem.split("_")[1])
            ax.set_title(f"{system} ({run.cfg.norm})\n{run.path.name}, step {step}", fontsize=9)
            ax.axis("off")
        else:
            _empty(ax, f"{system}: no sample grid")
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")  # equal-aspect images: tight_layout alone clips the titles
    plt.close(fig)
    return path


# ---- report --------------------------------------------------------------------------------------
def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def html_report(rows: list[dict[str, Any]], runs: list[Run], plots: dict[str, Path],
                claims: list[tuple[str, Path, str]] = ()) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(r)) + "</tr>" for r in rows)
    listed = "".join(f"<li>{html.escape(str(r.path))}: {r.cfg.system}, norm {r.cfg.norm}, loss {r.cfg.loss}, seed {r.cfg.seed}, "
                     f"{r.metrics[-1]['step'] if r.metrics else 0} steps</li>" for r in runs)
    figures = "".join(f"<h2>{html.escape(title)}</h2>{_img(p)}" for title, p in plots.items())
    if claims:
        figures += "<h2>Checking the paper's claims (gans diagnose)</h2>" + "".join(
            f"<h3>{html.escape(claim)}</h3><p>{html.escape(reading)}</p>{_img(p)}" for claim, p, reading in claims)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>gans compare</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}td:first-child,th:first-child{{text-align:left}}
img{{max-width:100%}}</style></head><body>
<h1>Discriminator comparison</h1>
<p>IS, FID and KID: mean ± std over seeds (one seed: over its draws). Lower FID and KID are better.</p>
<table><tr>{head}</tr>{body}</table>
{figures}
<h2>Runs</h2><ul>{listed}</ul>
</body></html>
"""


def compare(paths: list[Path], out: Path) -> dict[str, Path]:
    """Write table.md, table.csv, fid_vs_step.png, losses.png, samples.png and report.html to ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; pass a folder for the report")
    check_writable(out)
    runs = find_runs(paths)
    out.mkdir(parents=True, exist_ok=True)
    rows = table_rows(runs)
    written = {"table.md": out / "table.md", "table.csv": out / "table.csv"}
    written["table.md"].write_text(markdown(rows))
    with written["table.csv"].open("w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows({k: ("" if v is None or (isinstance(v, float) and math.isnan(v)) else v)
                          for k, v in r.items()} for r in rows)
    plots = {"FID vs step": plot_fid(runs, out / "fid_vs_step.png"),
             "Losses": plot_losses(runs, out / "losses.png"),
             "Final samples": plot_samples(runs, out / "samples.png")}
    written.update({p.name: p for p in plots.values()})
    claims = []
    if any((r.path / DIAGNOSTICS).is_file() for r in runs):
        from gans.analysis.claims import diagnose

        claims = diagnose([r.path for r in runs], out / "diagnostics")
        written.update({f"diagnostics/{p.name}": p for _, p, _ in claims})
    written["report.html"] = out / "report.html"
    written["report.html"].write_text(html_report(rows, runs, plots, claims))
    return written
