"""The shape of every evaluation result: a draw, a summary over draws, a scored source, a report.

The terminal table, CSV, eval.json, wandb, `gans compare` and training-time evaluation all read
and write these records; ``to_json`` / ``from_json`` give the one JSON layout. Numbers that the
weights or the reference cannot give (IS without logits, KID and PRDC without reference features)
are None, and so are numbers of records written before they existed.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from gans.eval.protocol import Protocol

DEFINITIONS = {
    "draws": "is_mean/is_std: IS mean and std over the draw's splits; fid; kid_mean/kid_std: KID mean "
             "and std over the draw's subsets; precision, recall, density, coverage: Naeem et al. 2020 "
             "(k-NN balls, k = protocol.prdc_k) against the reference features",
    "summary": "each number's mean and std over draws (is_std, fid_std, kid_std, precision_std, ... are "
               "stds over draws)",
    "overall": "one entry per group of sources (the seeds of one system, at one step; never two systems): "
               "the same over the group's summaries (one per training seed)",
}

# each summarized number and the name of its std over draws (or sources)
MEAN_STD = (("is_mean", "is_std"), ("fid", "fid_std"), ("kid_mean", "kid_std"), ("fid_infinity", "fid_infinity_std"),
            ("precision", "precision_std"), ("recall", "recall_std"), ("density", "density_std"),
            ("coverage", "coverage_std"))


class JsonRecord:
    """A dataclass as a flat JSON object; reading ignores keys a newer version may have added."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]):
        return cls(**{f.name: d[f.name] for f in dataclasses.fields(cls) if f.name in d})


@dataclass
class Draw(JsonRecord):
    """One Inception pass over ``num_samples`` images."""

    draw: int
    sample_seed: int | None
    num_samples: int
    is_mean: float | None = None  # over the draw's IS splits
    is_std: float | None = None
    fid: float | None = None
    kid_mean: float | None = None  # over KID subsets
    kid_std: float | None = None
    precision: float | None = None  # PRDC: one number each per draw, no spread within it
    recall: float | None = None
    density: float | None = None
    coverage: float | None = None
    fid_infinity: float | None = None  # Chong & Forsyth's extrapolation to infinitely many samples
    fid_curve: list[list[float]] | None = None  # [sample count, FID] pairs it was fitted on


@dataclass
class Summary(JsonRecord):
    """Mean and population std of the headline numbers over draws (or over sources)."""

    is_mean: float | None = None
    is_std: float | None = None
    fid: float | None = None
    fid_std: float | None = None
    kid_mean: float | None = None
    kid_std: float | None = None
    precision: float | None = None
    precision_std: float | None = None
    recall: float | None = None
    recall_std: float | None = None
    density: float | None = None
    density_std: float | None = None
    coverage: float | None = None
    coverage_std: float | None = None
    fid_infinity: float | None = None
    fid_infinity_std: float | None = None

    @classmethod
    def of(cls, rows: Iterable[Draw | "Summary"]) -> "Summary":
        rows = list(rows)
        out = {}
        for key, std_name in MEAN_STD:
            values = [getattr(r, key) for r in rows if getattr(r, key) is not None]
            out[key] = float(np.mean(values)) if values else None
            out[std_name] = float(np.std(values)) if values else None
        return cls(**out)


@dataclass
class Result:
    """One scored source (an image set, a generator's samples): its draws and their summary.

    Where a source came from (a run, a system, a step) is the caller's to say, in a subclass of its
    own (the training side's: ``gans.runs.eval_report.RunResult``); the library reads no such label.
    """

    source: str
    draws: list[Draw]
    summary: Summary
    seconds: float | None = None
    images_per_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "draws": [d.to_json() for d in self.draws],
                "summary": self.summary.to_json()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Result":
        """A subclass's record too: its own fields are read by name, and keys it lacks are left out."""
        nested = {"draws": [Draw.from_json(x) for x in d["draws"]], "summary": Summary.from_json(d["summary"])}
        return cls(**{f.name: d[f.name] for f in dataclasses.fields(cls) if f.name in d and f.name not in nested},
                   **nested)


@dataclass
class Weights:
    file: str
    format: str
    sha256_16: str
    network: str = ""  # what ran them: "torch-fidelity" (its eager network) or "torchscript"; "" in older files

    def to_json(self) -> dict[str, Any]:
        # an older file's record (no network) is written back in its own layout
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "network" or v}


@dataclass
class Report:
    """Everything a table needs and everything needed to repeat it: the protocol as run (with the
    reference's actual image count and statistics file) and the weights it ran with."""

    protocol: Protocol
    reference_stats: str
    weights: Weights
    results: list[Result]

    def groups(self, groups: Mapping[str, Sequence[Result]] | None = None
               ) -> list[tuple[str, Sequence[Result], Summary]]:
        """Each group of sources with its summary over their summaries (default: one group of them all,
        for a report whose sources are one system's seeds). The table, the CSV and the JSON read this."""
        return [(label, group, Summary.of(r.summary for r in group))
                for label, group in (groups or {"": self.results}).items()]

    def overall(self, groups: Mapping[str, Sequence[Result]] | None = None) -> list[dict[str, Any]]:
        return [{"group": label or None, "sources": len(group), **summary.to_json()}
                for label, group, summary in self.groups(groups)]

    def only(self, results: list[Result]) -> "Report":
        return dataclasses.replace(self, results=results)

    def to_json(self, groups: Mapping[str, Sequence[Result]] | None = None) -> dict[str, Any]:
        return {"protocol": {**self.protocol.to_json(), "reference_stats": self.reference_stats,
                             "weights": self.weights.to_json()},
                "definitions": DEFINITIONS,
                "results": [r.to_json() for r in self.results],
                "overall": self.overall(groups)}

    @classmethod
    def from_json(cls, d: dict[str, Any], result: type[Result] = Result) -> "Report":
        """``result``: the record its results are read as (a caller's subclass of :class:`Result`)."""
        p = d["protocol"]
        return cls(Protocol.from_json(p), p.get("reference_stats", ""), Weights(**p["weights"]),
                   [result.from_json(r) for r in d["results"]])
