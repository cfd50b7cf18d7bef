"""The untrained generator's scores, shared across a study's runs.

The untrained generator depends on the seed, the init and the generator's flags, not on the critic,
so the study's systems share it seed by seed: it is scored once, kept under OUT/untrained/KEY.json
(KEY: a hash of the generator's weights and of what scored it), and relabelled for each run that has it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any, Callable

from gans.core.files import write_atomic
from gans.runs import checkpoint as ckpt_io
from gans.runs.checkpoint_scores import checkpoint_labels
from gans.runs.eval_report import RunResult
from gans.runs.sampling import uses_ema

UNTRAINED = "untrained"  # the cache's folder in the study directory


def untrained_result(path: Path, scored_by: Any, score: Callable[[list[Path]], list[RunResult]],
                     cache: Path) -> RunResult:
    """The step-0 checkpoint's result, from ``cache`` when a run with the same untrained generator
    and the same ``scored_by`` (the protocol and Inception weights) was scored before, else scored
    (``score``: score_checkpoints with the job's Inception and reference) and kept there."""
    state = ckpt_io.load_checkpoint(path)
    weights = state["G_ema"]["model"] if uses_ema(state, True) else state["G"]
    h = hashlib.sha256(repr(scored_by).encode())
    for k in sorted(weights):
        h.update(k.encode() + repr(tuple(weights[k].shape)).encode())
        h.update(weights[k].detach().cpu().contiguous().numpy().tobytes())
    keyed = cache / f"{h.hexdigest()[:20]}.json"
    if keyed.exists():
        try:
            kept = RunResult.from_json(json.loads(keyed.read_text()))
        except (json.JSONDecodeError, KeyError, TypeError):
            kept = None  # a torn cache file: score again
        if kept is not None:
            return dataclasses.replace(kept, **checkpoint_labels(path, state))
    result = score([path])[0]
    text = json.dumps(result.to_json()).encode()
    write_atomic(keyed, lambda f: f.write(text))
    return result
