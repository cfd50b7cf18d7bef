"""Experiment tracking: what the trainer reports, and the wandb backend that shows it.

The trainer calls a :class:`Tracker` at its logging cadence with values it already synced to the CPU,
so tracking adds no device syncs to the hot loop. wandb runs are grouped by system (preset or label) and carry ``norm``
in their config, so a dashboard can group FID-vs-step curves by normalization with seed bands.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gans.core.errors import UserError

if TYPE_CHECKING:
    from gans.runs.log_records import Diagnosis
    from gans.eval.records import Report
    from gans.runs.log_records import EvalPoint

WANDB_MODES = ("offline", "online", "disabled")
ID_FILE = "wandb_id.txt"  # a resumed run continues the same wandb run


class Tracker:
    """No-op tracker: the trainer works the same with or without one."""

    def log_train(self, row: dict[str, float]) -> None: ...

    def log_eval(self, point: "EvalPoint") -> None: ...

    def log_grid(self, path: Path, step: int) -> None: ...

    def log_diagnosis(self, diagnosis: "Diagnosis") -> None: ...

    def finish(self, summary: dict[str, Any]) -> None: ...


@dataclass
class WandbSettings:
    project: str = "gans"
    entity: str | None = None
    group: str | None = None  # default: the system (the preset, or its --label)
    mode: str = "offline"
    tags: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.mode not in WANDB_MODES:
            raise UserError(f"unknown --wandb-mode {self.mode!r}; choose one of {', '.join(WANDB_MODES)}")


def wandb_settings(flags: dict[str, Any]) -> WandbSettings | None:
    """Pop the CLI's wandb flags (they configure tracking, not the run, so they stay out of
    config.toml); None when --wandb is off."""
    on = flags.pop("wandb_on", False)
    given = {k[len("wandb_"):]: flags.pop(k) for k in list(flags) if k.startswith("wandb_")}
    given = {k: v for k, v in given.items() if v is not None}
    if given and not on:
        raise UserError(f"--wandb-{next(iter(given))} needs --wandb to turn tracking on")
    if "tags" in given:
        given["tags"] = [t.strip() for t in given["tags"].split(",") if t.strip()]
    return WandbSettings(**given) if on else None


def wandb_config(cfg, params: dict[str, int]) -> dict[str, Any]:
    """The run config a dashboard groups and filters by."""
    return {**cfg.to_dict(), "penalty": "gradient" if cfg.gp else "none",
            "params_g": params["G"], "params_d": params["D"]}


def start_wandb(settings: WandbSettings, run_dir: Path, name: str, group: str, config: dict[str, Any],
                job_type: str, keep_id: bool = True):
    """wandb.init; with ``keep_id`` the run id is stored in the run directory, so a resumed training
    run (or a later `gans eval` of it) continues the same wandb run."""
    import wandb

    run_dir.mkdir(parents=True, exist_ok=True)
    id_file = run_dir / ID_FILE
    run_id = None
    if keep_id:
        run_id = id_file.read_text().strip() if id_file.exists() else f"{name}-{secrets.token_hex(3)}"
        id_file.write_text(run_id + "\n")
    os.environ.setdefault("WANDB_SILENT", "true")
    try:
        return wandb.init(project=settings.project, entity=settings.entity, group=settings.group or group,
                          name=name, id=run_id, resume="allow" if run_id else None, job_type=job_type,
                          tags=settings.tags or None, config=config, dir=str(run_dir), mode=settings.mode)
    except Exception as e:  # wandb raises its own errors for login/network; keep them one line
        first = str(e).splitlines()[0] if str(e) else ""
        raise UserError(f"wandb could not start ({type(e).__name__}: {first}); "
                        "use --wandb-mode offline, or run `wandb login` for online mode") from None


def log_eval_report(report: "Report", settings: WandbSettings, where: Path) -> list:
    """Each evaluated run gets its repeated-draw table (a wandb Table) and summary numbers, in the
    wandb run of its training when it had one, else a new run in its system's group. Image sets
    (no training run) get an eval run of their own under ``where``."""
    import wandb

    from gans.eval.report import csv_fields, csv_rows
    from gans.runs.eval_report import RUN_LABELS

    runs = []
    for r in report.results:
        run_dir = Path(r.run_dir) if r.run_dir else where
        name = run_dir.name if r.run_dir else f"images-{Path(r.source).stem}"
        run = start_wandb(settings, run_dir, name, r.system or "real-data",
                          {"eval_protocol": report.to_json()["protocol"]}, "eval", keep_id=bool(r.run_dir))
        rows = csv_rows(report.only([r]), labels=RUN_LABELS)  # one source: its draws and their summary
        columns = csv_fields(RUN_LABELS)
        table = wandb.Table(columns=list(columns), data=[[row[c] for c in columns] for row in rows])
        run.log({"eval/table": table})
        for k, v in r.summary.to_json().items():
            run.summary[f"eval/{k}"] = v
        run.summary["eval/step"] = r.step
        run.finish()
        runs.append(run)
    return runs


class WandbTracker(Tracker):
    def __init__(self, settings: WandbSettings, cfg, params: dict[str, int], run_dir: Path) -> None:
        self.run = start_wandb(settings, run_dir, cfg.run_name, cfg.system, wandb_config(cfg, params), "train")
        self.run.define_metric("step")
        for prefix in ("train/*", "eval/*", "diag/*", "samples"):
            self.run.define_metric(prefix, step_metric="step")

    def log_train(self, row: dict[str, float]) -> None:
        self.run.log({"step": row["step"], **{f"train/{k}": v for k, v in row.items() if k != "step"}})

    def log_eval(self, point: "EvalPoint") -> None:
        self.run.log({"step": point.step, **{f"eval/{k}": v for k, v in point.to_json().items()
                                             if k != "step" and isinstance(v, (int, float))}})

    def log_grid(self, path: Path, step: int) -> None:
        import wandb

        self.run.log({"step": step, "samples": wandb.Image(str(path), caption=f"step {step}")})

    def log_diagnosis(self, diagnosis: "Diagnosis") -> None:
        import wandb

        hist = wandb.Histogram(np_histogram=(diagnosis.hist_counts, diagnosis.hist_edges))
        self.run.log({"step": diagnosis.step, **diagnosis.flat(), "diag/grad_log10_hist": hist})

    def finish(self, summary: dict[str, Any]) -> None:
        for k, v in summary.items():
            self.run.summary[k] = v
        self.run.finish()
