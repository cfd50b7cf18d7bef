"""What a study checks before any work (no reference statistics, no training): that its inputs
exist and its executor is there, and how long its evaluation will take where that is hours."""
from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np

from gans.config import TrainConfig
from gans.core.errors import UserError
from gans.data.images import BUILTIN, CIFAR_SPLITS, IMAGE_SUFFIXES, SHAPES_COUNT
from gans.study.progress import duration
from gans.study.spec import Study, protocol_of

SLICE = re.compile(r"(?P<source>.+)\[(?P<start>-?\d*):(?P<stop>-?\d*)\]")  # data.npz[:4000], as load_images reads it
CIFAR_COUNTS = {True: 50_000, False: 10_000}  # train, test
# Inception images per second at 299 px, rounded from bench/eval.py's runs (docs/performance.md,
# "Evaluation"); the estimate only has to tell minutes from hours
RATES = {"cpu": 6.0, "cuda": 1000.0, "mps": 100.0}
WARN_AFTER_S = 3600
SOURCES = "shapes, cifar10, cifar10-test, a .npz of uint8 images or an image folder"


def _source(name: str) -> str:
    m = SLICE.fullmatch(name)
    return m["source"] if m else name


def exists(name: str) -> bool:
    """Whether a data set name or path (with or without a [start:stop] slice) names something there."""
    source = _source(name)
    return source == BUILTIN or source in CIFAR_SPLITS or Path(source).exists()


def check_inputs(study: Study, cfgs: list[TrainConfig]) -> None:
    """One line naming the first input that is not there, before the study does anything."""
    if study.executor == "slurm" and shutil.which("sbatch") is None:
        raise UserError("--executor slurm: no SLURM here (sbatch is not on PATH); run the study on the "
                        "cluster's login node, or pass --executor local")
    checked = set()
    for cfg in cfgs:
        weights = study.eval.get("inception_weights") or cfg.inception_weights
        # the study's reference is [eval]'s, else the run's eval-reference, else its dataset
        wanted = [(cfg.dataset, f"system {cfg.system}'s dataset", SOURCES)]
        if cfg.eval_reference:
            wanted.append((cfg.eval_reference, "eval-reference", SOURCES))
        if study.eval.get("reference"):
            wanted.append((study.eval["reference"], "[eval] reference",
                           "a data set name, an image folder, or a .npz of images or of statistics"))
        for name, where, fix in wanted:
            if name not in checked and not exists(name):
                raise UserError(f"{where} {name!r} does not exist; pass {fix}")
            checked.add(name)
        if weights and not Path(weights).is_file():
            raise UserError(f"inception-weights {weights} does not exist; pass an existing weight file "
                            "(see gans eval --help)")


def image_count(name: str) -> int | None:
    """How many images a source holds, read without loading them (None: cannot tell, or statistics)."""
    m = SLICE.fullmatch(name)
    if m:
        n = image_count(m["source"])
        stop, start = m["stop"], m["start"]
        return None if n is None else len(range(n)[slice(int(start) if start else None, int(stop) if stop else None)])
    if name == BUILTIN:
        return SHAPES_COUNT
    if name in CIFAR_SPLITS:
        return CIFAR_COUNTS[CIFAR_SPLITS[name]]
    path = Path(name)
    if path.is_dir():
        return sum(1 for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if path.suffix == ".npz" and path.is_file():
        try:
            with zipfile.ZipFile(path) as z, z.open("x.npy") as f:
                major, _ = np.lib.format.read_magic(f)
                read = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
                shape = read(f)[0]
            return int(shape[0])
        except (KeyError, OSError, ValueError, zipfile.BadZipFile):  # statistics, or not images at all
            return None
    return None


def _cached(name: str, count: int) -> bool:
    """Whether reference statistics of ``count`` images of ``name`` look cached already (by the
    cache's file names, as gans.eval.reference writes them)."""
    from gans.eval.reference import default_cache_dir

    source = Path(_source(name))
    label = source.stem if source.suffix or os.sep in name else _source(name)
    return any(default_cache_dir().glob(f"{label}*-n{count}-*.npz"))


def evaluation_estimate(study: Study, cfgs: list[TrainConfig]) -> str | None:
    """A note when the study's Inception passes (reference statistics, each run's final scoring and
    its training-time evaluations) would take hours on its device, with the settings that shrink them."""
    from gans.runs.networks import pick_device

    if not cfgs:
        return None
    device = pick_device(cfgs[0].device).type
    rate = RATES.get(device, RATES["cpu"]) * ((os.cpu_count() or 1) if device == "cpu" else 1)
    parts, total, refs = [], 0, set()
    for cfg in cfgs:
        protocol = protocol_of(study, cfg)
        wanted = [(protocol.reference, protocol.reference_count)]
        if cfg.eval_every:
            wanted.append((cfg.eval_reference or cfg.dataset, cfg.eval_reference_count or None))
        for name, count in wanted:
            n = count or image_count(name)
            if (name, n) in refs or n is None or _cached(name, n):
                continue
            refs.add((name, n))
            parts.append(f"reference {name}: {n:,} images")
            total += n
    per_run = [protocol_of(study, c).num_samples * protocol_of(study, c).repeats for c in cfgs]
    parts.append(f"{len(cfgs)} runs x {max(per_run):,} samples")
    total += sum(per_run)
    during = sum((c.steps // c.eval_every) * c.eval_samples for c in cfgs if c.eval_every)
    if during:
        parts.append(f"training-time evaluations: {during:,} samples")
        total += during
    seconds = total / rate
    if seconds < WARN_AFTER_S:
        return None
    return (f"note: evaluation alone will take about {duration(seconds)} on {device} ({total:,} images through "
            f"Inception at ~{rate:,.0f} images/s; {'; '.join(parts)}); shrink it with --eval reference-count=N "
            "and --eval num-samples=N (and --train eval-samples=N)")
