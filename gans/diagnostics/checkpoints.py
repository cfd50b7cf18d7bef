"""Diagnosing a finished run from the checkpoints it kept, for runs trained without
``--diagnose-every`` (or diagnosed by an older estimator): the same :class:`Diagnoser` the trainer
uses, on the networks of each checkpoint, with the run's own data, objective, penalty and pass mode.

A checkpoint's critic is the one training had at that step, running statistics and power-iteration
vectors included, so a post-hoc diagnosis equals the one ``--diagnose-every`` would have written at
that step (the diagnoser draws from its own generator seeded by the run's seed and the step).
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from gans.config import from_dict
from gans.core.files import write_atomic
from gans.data.images import load_images
from gans.diagnostics.critic import CriticTraining
from gans.diagnostics.diagnoser import Diagnoser
from gans.losses import get_loss
from gans.runs import checkpoint as ckpt_io
from gans.runs.layout import RunLayout
from gans.runs.log_records import Diagnosis
from gans.runs.networks import build_discriminator, build_generator
from gans.runs.runlog import read_jsonl


def diagnose_checkpoints(run_dir: Path, say=print) -> list[Diagnosis]:
    """Diagnose every kept checkpoint of ``run_dir`` whose step has no current-estimator row yet, and
    rewrite RUN/diagnostics.jsonl with the rows sorted by step (rows of older estimators, which lack
    the corrected measures, are replaced)."""
    path = RunLayout(run_dir).diagnostics
    rows = {r["step"]: r for r in read_jsonl(path) if _current(r)}
    found = []
    images = None
    for step, ckpt in ckpt_io.list_checkpoints(run_dir):
        if step in rows:
            continue
        state = ckpt_io.load_checkpoint(ckpt)
        cfg = from_dict(state["config"])
        layout = torch.channels_last if cfg.channels_last else torch.contiguous_format  # as training ran
        G, D = (build(cfg).to(memory_format=layout) for build in (build_generator, build_discriminator))
        ckpt_io.load_weights(G, state["G"], "generator", ckpt)
        ckpt_io.load_weights(D, state["D"], "critic", ckpt)
        if images is None:
            images = load_images(cfg.dataset, cfg.data_dir)
        critic = CriticTraining(get_loss(cfg.loss).d, cfg.d_pass, cfg.gp_weight if cfg.gp else None)
        diagnosis = Diagnoser(images, cfg.batch_size, cfg.z_dim, cfg.seed, torch.device("cpu"), critic)(G, D, step)
        rows[step] = diagnosis.to_json()
        found.append(diagnosis)
        say(f"{run_dir}: diagnosed step {step}")
    if found:
        text = "".join(json.dumps(rows[s]) + "\n" for s in sorted(rows)).encode()
        write_atomic(path, lambda f: f.write(text))
    return found


def _current(row: dict) -> bool:
    """A row of the current estimators (its layers carry the standardized eval-mode drift over
    held-out real and fake batches)."""
    return any(layer.get("drift_eval_z") is not None for layer in row.get("layers", []))
