"""Run directories written file by file, as `gans train` and `gans eval` leave them, without training:
config.toml, metrics.jsonl, eval.jsonl, diagnostics.jsonl, eval.json and (optionally) a checkpoint."""
from __future__ import annotations

import json
from pathlib import Path

from gans.config import resolve, to_toml
from gans.eval.protocol import Protocol
from gans.eval.records import Draw, Report, Summary, Weights
from gans.eval.report import write_json
from gans.runs.eval_report import RunResult
from gans.runs.log_records import Diagnosis, EvalPoint

NUMBERS = ("is_mean", "fid", "kid_mean", "fid_infinity", "precision", "recall", "density", "coverage")


def draws_of(values: dict[str, list[float]]) -> list[Draw]:
    """One Draw per position of the value lists (each number's lists equally long)."""
    n = len(next(iter(values.values())))
    return [Draw(i, i, 10, **{k: v[i] for k, v in values.items()},
                 **({"is_std": 0.1} if "is_mean" in values else {}),
                 **({"kid_std": 1e-4} if "kid_mean" in values else {})) for i in range(n)]


def write_run(root: Path, preset: str, seed: int, numbers: dict[str, list[float]] | None = None, label: str = "",
              params: dict[str, int] | None = None, evals: list[dict] | None = None,
              diagnoses: list[Diagnosis] | None = None, steps: int = 4,
              untrained: dict[str, list[float]] | None = None, flags: dict | None = None) -> Path:
    """A run of ``preset`` (or its ``label``) at ``seed``. ``numbers``: each headline number's value
    in each draw of its eval.json (none: no eval.json); ``params`` go into eval.json as `gans eval`
    copies them from the checkpoint; ``untrained``: the step-0 checkpoint's numbers scored beside
    them, as `gans study` does; ``flags``: train flags over the preset's."""
    cfg = resolve({**(flags or {}), "preset": preset, "label": label, "seed": seed, "steps": steps,
                   "out": str(root / f"{label or preset}-seed{seed}")})
    run = Path(cfg.out)
    run.mkdir(parents=True)
    (run / "config.toml").write_text(to_toml(cfg))
    rows = [{"step": s, "loss_d": 1.0 / s + seed, "loss_g": -s - seed, "steps_per_s": 10.0 + seed}
            for s in range(1, steps + 1)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    if evals:
        (run / "eval.jsonl").write_text("".join(json.dumps(EvalPoint(**e).to_json()) + "\n" for e in evals))
    if diagnoses:
        (run / "diagnostics.jsonl").write_text("".join(json.dumps(d.to_json()) + "\n" for d in diagnoses))
    if numbers:
        draws = draws_of(numbers)
        result = RunResult(str(run / "checkpoints" / f"ckpt_{steps:08d}.pt"), draws, Summary.of(draws),
                        run_dir=str(run), system=cfg.system, norm=cfg.norm, seed=seed, step=steps,
                        params=params or {})
        first = []
        if untrained:
            d0 = draws_of(untrained)
            first = [RunResult(str(run / "checkpoints" / "ckpt_00000000.pt"), d0, Summary.of(d0), run_dir=str(run),
                            system=cfg.system, norm=cfg.norm, seed=seed, step=0, params=params or {})]
        report = Report(Protocol.build("study", num_samples=10, reference="ref.npz"), "ref.npz",
                        Weights("pt_inception.pth", "torch-fidelity", "0123456789abcdef"), [*first, result])
        write_json(report, run / "eval.json")
    return run


def write_checkpoint(run: Path, step: int, params: dict[str, int]) -> Path:
    """A checkpoint holding what compare may read of one: the 'params' entry beside some weights."""
    import torch

    from gans.runs.checkpoint import FORMAT, save_atomic
    from gans.runs.layout import checkpoint_path

    path = checkpoint_path(run, step)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_atomic({"format": FORMAT, "step": step, "params": params, "config": {},
                        "G": {"w": torch.zeros(3)}, "D": {"w": torch.zeros(2)}}, path)
