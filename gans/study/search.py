"""A random search with one budget for every system (Lucic et al. 2018, "Are GANs Created Equal?").

A study's ``[search]`` table declares a distribution over train flags and a number of draws K; the
K configurations are drawn once, from a seeded generator, and *the same K draws* run for every
system (a paired design: a system cannot be lucky in the configurations it was given). A grid gives
each system its best corner of a few points; a search gives each the same chance anywhere in the
declared ranges, and the curve "expected best score among k draws" (gans.analysis.budget) ranks
systems by what a given tuning budget buys, as compare_gan does.

    [search]
    k = 12                                  # draws
    seed = 0                                # the draws' seed
    lr = { log-uniform = [5e-5, 1e-3] }     # a continuous dimension
    beta1 = [0.0, 0.5]                      # a list: one value drawn uniformly
    beta2 = [0.9, 0.999]                    # beta1/beta2 set --betas together
    n-critic = [1, 2, 5]
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gans.analysis.sweep import DRAW
from gans.config import FIELDS, field_name
from gans.core.errors import UserError

BETAS = ("beta1", "beta2")  # searched apart, set together as --betas
RANGES = ("log-uniform", "uniform")
SIGNIFICANT = 3  # drawn reals are rounded so that run configs and names stay readable


@dataclass(frozen=True)
class Space:
    """The declared distribution: flag -> a list of values or a (kind, low, high) range."""

    k: int
    seed: int
    dims: dict[str, Any]

    @classmethod
    def of(cls, table: dict[str, Any], source: str = "[search]") -> "Space":
        table = {field_name(k): v for k, v in table.items()}
        k, seed = table.pop("k", None), table.pop("seed", 0)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise UserError(f"{source}: k (the number of draws) must be an integer >= 1, got {k!r}")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise UserError(f"{source}: seed must be an integer >= 0, got {seed!r}")
        if not table:
            raise UserError(f"{source} draws nothing; add a dimension, e.g. lr = {{ log-uniform = [5e-5, 1e-3] }}")
        for name, spec in table.items():
            if name not in FIELDS and name not in BETAS:
                raise UserError(f"{source} has no flag {name.replace('_', '-')!r}; search train flags "
                                "(lr, n-critic, init, g-init, d-pass, ...) or beta1 / beta2")
            if name in ("out", "seed", "preset", "label", "betas"):
                raise UserError(f"{source} cannot search {name!r}" + ("; search beta1 and beta2" if name == "betas" else
                                                                     ": the study sets it for each run"))
            _check_dim(name, spec, source)
        if ("beta1" in table) != ("beta2" in table):
            raise UserError(f"{source}: search beta1 and beta2 together (give the other as a one-value list)")
        return cls(k, seed, table)

    def draws(self) -> list[dict[str, Any]]:
        """The K configurations as train flags, the same list every time (and for every system)."""
        import numpy as np

        rng = np.random.default_rng(self.seed)
        out = []
        for _ in range(self.k):
            # by name, not as declared: a file rewritten with its keys in another order draws the same
            point = {name: _draw(self.dims[name], rng) for name in sorted(self.dims)}
            if "beta1" in point:
                point["betas"] = [point.pop("beta1"), point.pop("beta2")]
            out.append(point)
        return out


def _check_dim(name: str, spec: Any, source: str) -> None:
    where = f"{source} {name.replace('_', '-')}"
    if isinstance(spec, list):
        if not spec:
            raise UserError(f"{where}: a list of values to draw from must not be empty")
        return
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in RANGES:
        raise UserError(f"{where} must be a list of values or one of {{ log-uniform = [LOW, HIGH] }}, "
                        f"{{ uniform = [LOW, HIGH] }}; got {spec!r}")
    kind, bounds = next(iter(spec.items()))
    if name not in BETAS and FIELDS[name].type != "float":  # an int, a name or a flag: its values are listed
        raise UserError(f"{where} takes a list of values ({name.replace('_', '-')} is not a real number), got {spec!r}")
    if (not isinstance(bounds, list) or len(bounds) != 2
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds) or bounds[0] >= bounds[1]
            or (kind == "log-uniform" and bounds[0] <= 0)):
        raise UserError(f"{where}: {kind} needs [LOW, HIGH] with LOW < HIGH" + (" and LOW > 0" if kind == "log-uniform"
                                                                               else "") + f", got {bounds!r}")


def _round(x: float) -> float:
    return float(f"{x:.{SIGNIFICANT}g}")


def _draw(spec: Any, rng: Any) -> Any:
    if isinstance(spec, list):
        return spec[int(rng.integers(len(spec)))]
    kind, (low, high) = next(iter(spec.items()))
    if kind == "uniform":
        return _round(rng.uniform(low, high))
    return _round(math.exp(rng.uniform(math.log(low), math.log(high))))


def draw_name(i: int, k: int) -> str:
    """The setting part of a searched run's system name: draw=03 (zero-padded so names sort by draw)."""
    return f"{DRAW}={i:0{len(str(k - 1))}d}"
