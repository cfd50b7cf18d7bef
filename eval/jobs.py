"""`gans eval` as a library call: score checkpoints (or image sets) under one protocol and collect a
report that names every number and the protocol behind it."""
from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any, Callable

import torch

from eval.evaluate import METRICS, Protocol, evaluate_generator, score, summarize
from eval.inception import Inception, open_inception
from eval.metrics import extract
from eval.reference import Reference, get_reference
from gans import checkpoint as ckpt_io
from gans.checkpoint import write_atomic
from gans.data import load_images

DEFINITIONS = {
    "draws": "is_mean/is_std: IS mean and std over the draw's splits; fid; kid_mean/kid_std: KID mean "
             "and std over the draw's subsets",
    "summary": "each number's mean and std over draws (is_std, fid_std, kid_std are stds over draws)",
    "overall": "the same over the checkpoints' summaries (one per training seed)",
}


def _bar(total: int, desc: str, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="img", dynamic_ncols=True, disable=not progress)


def prepare(protocol: Protocol, weights: str | None, device: str, data_dir: str, cache_dir: Path | None,
            batch_size: int, progress: bool, log: Callable[[str], None] = print,
            images: torch.Tensor | None = None) -> tuple[Inception, Reference]:
    """Load Inception and the reference statistics (cached after the first time). ``images``, when
    given, are the reference's images already in memory (the trainer's data set)."""
    from gans.trainer import pick_device

    inception = open_inception(weights, pick_device(device))
    if not inception.has_logits:
        log(f"note: {inception.path.name} gives pool features only ({inception.fmt}): FID and KID are "
            "computed, IS is reported as unavailable")

    def features_of(images: torch.Tensor) -> dict[str, torch.Tensor]:
        with _bar(len(images), f"reference {protocol.reference}", progress) as bar:
            return extract(images.split(batch_size), inception, bar=bar)

    ref = get_reference(protocol.reference, inception, count=protocol.reference_count, data_dir=data_dir,
                        cache_dir=cache_dir, images=images, features_of=features_of)
    if ref.features is None:
        log(f"note: {Path(protocol.reference).name} holds statistics only: FID is computed, KID needs "
            "the reference images (pass a data set or image folder as --reference)")
    return inception, ref


def header(protocol: Protocol, inception: Inception, ref: Reference) -> dict[str, Any]:
    return {"protocol": {**protocol.to_dict(), **ref.describe(),
                         "weights": {"file": str(inception.path), "format": inception.fmt,
                                     "sha256_16": inception.digest}},
            "definitions": DEFINITIONS}


def evaluate_checkpoints(checkpoints: list[str], protocol: Protocol, inception: Inception, ref: Reference,
                         device: str = "auto", batch_size: int = 100, progress: bool = True) -> dict[str, Any]:
    """Every checkpoint: ``protocol.repeats`` draws, their summary; then the summary over checkpoints."""
    from gans.sampling import load_generator

    paths = [ckpt_io.resolve_checkpoint(c) for c in checkpoints]  # fail on a bad path before any work
    results = []
    with _bar(len(paths) * protocol.repeats * protocol.num_samples, "generated", progress) as bar:
        for path in paths:
            G, cfg, state = load_generator(path, device)
            t0 = time.perf_counter()
            draws = evaluate_generator(G, inception, ref, protocol, batch_size, bar)
            seconds = time.perf_counter() - t0
            results.append({
                "source": str(path), "run_dir": _run_dir(path), "preset": cfg.preset, "norm": cfg.norm,
                "seed": cfg.seed, "step": int(state["step"]), "params": state.get("params", {}),
                "draws": draws, "summary": summarize(draws), "seconds": seconds,
                "images_per_s": protocol.repeats * protocol.num_samples / seconds})
    return {"results": results, "overall": {**summarize([r["summary"] for r in results]),
                                            "checkpoints": len(results)}}


def _run_dir(checkpoint: Path) -> str | None:
    return str(checkpoint.parent.parent) if checkpoint.parent.name == ckpt_io.CKPT_DIR else None


def evaluate_images(source: str, protocol: Protocol, inception: Inception, ref: Reference, data_dir: str = "data",
                    batch_size: int = 100, progress: bool = True) -> dict[str, Any]:
    """One image set (a folder, an ``.npz`` or a data set name), scored once, e.g. the real-data row."""
    images = load_images(source, data_dir)
    with _bar(len(images), Path(source).name, progress) as bar:
        feats = extract(images.split(batch_size), inception, bar=bar)
    draw = {"draw": 0, "sample_seed": None, "num_samples": len(images), **score(feats, ref, protocol)}
    result = {"source": source, "run_dir": None, "preset": None, "norm": None, "seed": None, "step": None,
              "draws": [draw], "summary": summarize([draw])}
    return {"results": [result], "overall": {**result["summary"], "checkpoints": 0}}


def _fmt(mean: float | None, std: float | None, scale: float = 1.0, digits: int = 2) -> str:
    if mean is None:
        return "unavailable"
    return f"{mean * scale:.{digits}f} ± {(std or 0.0) * scale:.{digits}f}"


def table(report: dict[str, Any]) -> str:
    """The terminal table: one row per checkpoint (mean ± std over draws), then over checkpoints."""
    p = report["protocol"]
    head = (f"protocol {p['name']}: {p['repeats']} x {p['num_samples']} samples vs {p['reference']}"
            f" ({p['reference_count'] or 'all'} images); IS {p['is_splits']} splits, "
            f"weights {p['weights']['format']} {p['weights']['sha256_16']}; mean ± std")
    rows = [("source", "step", "IS", "FID", "KID x1e3")]

    def row(name: str, step: Any, s: dict[str, Any]) -> tuple[str, ...]:
        return (name, "" if step is None else str(step), _fmt(s["is_mean"], s["is_std"]),
                _fmt(s["fid"], s["fid_std"]), _fmt(s["kid_mean"], s["kid_std"], 1e3))

    for r in report["results"]:
        rows.append(row(r["source"], r["step"], r["summary"]))
    if len(report["results"]) > 1:
        rows.append(row(f"all {len(report['results'])} checkpoints", None, report["overall"]))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join([head] + ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                               for r in rows])


CSV_FIELDS = ("protocol", "reference", "source", "preset", "norm", "seed", "step", "row", "num_samples",
              "is_mean", "is_std", "fid", "fid_std", "kid_mean", "kid_std")


def csv_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per draw, one summary row per source, one overall row."""
    p = report["protocol"]
    base = {"protocol": p["name"], "reference": p["reference"]}
    rows = []
    for r in report["results"]:
        who = {k: r[k] for k in ("source", "preset", "norm", "seed", "step")}
        for d in r["draws"]:
            rows.append({**base, **who, "row": f"draw {d['draw']}", "num_samples": d["num_samples"],
                         **{k: d[k] for k in METRICS}})
        rows.append({**base, **who, "row": "over draws", "num_samples": p["num_samples"], **r["summary"]})
    if len(report["results"]) > 1:
        rows.append({**base, "source": "all", "row": "over checkpoints", **report["overall"]})
    return [{k: row.get(k) for k in CSV_FIELDS} for row in rows]


def write_json(report: dict[str, Any], path: Path) -> Path:
    return write_atomic(path, lambda f: f.write((json.dumps(report, indent=2) + "\n").encode()))


def write_csv(report: dict[str, Any], path: Path) -> Path:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, CSV_FIELDS)
    writer.writeheader()
    writer.writerows(csv_rows(report))
    return write_atomic(path, lambda f: f.write(text.getvalue().encode()))


def write_to_runs(report: dict[str, Any]) -> list[Path]:
    """Each run directory gets eval.json and eval.csv with its own checkpoints' results."""
    written = []
    by_run: dict[str, list[dict[str, Any]]] = {}
    for r in report["results"]:
        if r["run_dir"]:
            by_run.setdefault(r["run_dir"], []).append(r)
    for run_dir, results in by_run.items():
        own = {**{k: v for k, v in report.items() if k not in ("results", "overall")}, "results": results,
               "overall": {**summarize([r["summary"] for r in results]), "checkpoints": len(results)}}
        written += [write_json(own, Path(run_dir) / "eval.json"), write_csv(own, Path(run_dir) / "eval.csv")]
    return written
