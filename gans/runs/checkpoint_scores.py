"""`gans eval` on the run side: score checkpoints (or an image set) with the eval library, each
result labelled with the run it came from (:mod:`gans.runs.eval_report` writes each run's share)."""
from __future__ import annotations

import time
from pathlib import Path

from gans.config import from_dict
from gans.runs import checkpoint as ckpt_io
from gans.data.images import load_images
from gans.eval.inception import Inception
from gans.eval.protocol import Protocol
from gans.eval.records import Summary
from gans.eval.reference import Reference
from gans.eval.scoring import progress_bar, score_draws, score_images
from gans.runs.eval_report import RunResult
from gans.runs.layout import run_dir_of
from gans.runs.sampling import generate, load_generator, sampling_mode, uses_ema


def score_checkpoints(checkpoints: list[str | Path], protocol: Protocol, inception: Inception, ref: Reference,
                      device: str = "auto", batch_size: int = 100, progress: bool = True,
                      ema: bool = True) -> list[RunResult]:
    """Every checkpoint (a run directory means its latest): ``protocol.repeats`` draws and their
    summary; of its EMA generator when it has one, unless ``ema`` is False."""
    paths = [ckpt_io.resolve_checkpoint(c) for c in checkpoints]  # fail on a bad path before any work
    results = []
    with progress_bar(len(paths) * protocol.repeats * protocol.num_samples, "generated", progress) as bar:
        for path in paths:
            G, _, state = load_generator(path, device, ema)
            t0 = time.perf_counter()
            with sampling_mode(G):
                draws = score_draws(lambda seed: generate(G, protocol.num_samples, seed, batch_size),
                                    inception, ref, protocol, bar)
            seconds = time.perf_counter() - t0
            results.append(RunResult(draws=draws, summary=Summary.of(draws), **checkpoint_labels(path, state),
                                  ema=uses_ema(state, ema), seconds=seconds,
                                  images_per_s=protocol.repeats * protocol.num_samples / seconds))
    return results


def checkpoint_labels(path: Path, state: dict) -> dict:
    """The RunResult fields that say which checkpoint was scored: its path, run, system, norm, seed,
    step and parameter counts, from the checkpoint itself."""
    cfg = from_dict(state["config"])
    run_dir = run_dir_of(path)
    return dict(source=str(path), run_dir=str(run_dir) if run_dir else None, system=cfg.system, norm=cfg.norm, seed=cfg.seed,
                step=int(state["step"]), params=state.get("params", {}))


def score_image_set(source: str, protocol: Protocol, inception: Inception, ref: Reference, data_dir: str = "data",
                    batch_size: int = 100, progress: bool = True) -> list[RunResult]:
    """One image set (a folder, an ``.npz`` or a data set name), scored once, e.g. the real-data row."""
    images = load_images(source, data_dir)
    with progress_bar(len(images), Path(source).name, progress) as bar:
        result = score_images(images, inception, ref, protocol, batch_size, bar)
    result.source = source
    return [RunResult.of(result)]  # no run, system or step: the real-data row
