"""samples/study/PROTOCOL.md's selection rule as code, so no stage leaves a choice to whoever runs it.

Stage 2: each system's short list (its best draws of the search by KID, gans.analysis.budget) becomes
a study of those draws at fresh seeds. Stage 3: each system's pick, the short-listed draw with the
lowest mean KID over those seeds (ties within ``TIE`` go to the lower mean FID; a draw with a
diverged seed is a failed draw), becomes the confirmation study: every system at its pick, on seeds
no stage used. Stage 4: the confirmation's best systems by mean KID become the horizon study (more
steps, the same seeds' subset). Each is written as a complete study file with the stored study's own
[train] and [eval] (what the search really ran with, command-line overrides included), marked with
its stage, and only from the whole previous stage.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import tomli_w

from gans.analysis.budget import Draw, short_list
from gans.analysis.rundirs import RunDir
from gans.analysis.sweep import SWEPT, draw_of
from gans.config import FIELDS

SHORT_LIST_SEEDS = [1, 2, 3]
CONFIRM_SEEDS = [5, 6, 7, 8, 9]
CONFIRM_EVAL = {"num-samples": 5000, "fid-sizes": [500, 1000, 2000, 5000]}
HORIZON_SYSTEMS, HORIZON_SEEDS, HORIZON_STEPS = 3, [5, 6, 7, 8], 5000
TIE = 1e-4  # KID: 0.1 x1e3
STUDY_FILE = "study.toml"  # what `gans study` stores in OUT, beside OUT/runs/ (gans.study.spec.STUDY_FILE)


def searched(run: RunDir) -> bool:
    return draw_of(run.system) is not None


def stored_study(runs: Sequence[RunDir], which: Callable[[RunDir], bool] = searched) -> dict[str, Any] | None:
    """The study file `gans study` stored beside the runs ``which`` keeps (OUT/study.toml for
    OUT/runs/RUN; by default the searched ones), as a table; None when they do not sit in one study's folder."""
    folders = {r.path.parent.parent for r in runs if which(r)}
    if len(folders) != 1 or not (next(iter(folders)) / STUDY_FILE).is_file():
        return None
    return tomllib.loads((next(iter(folders)) / STUDY_FILE).read_text())


def is_search(study: dict[str, Any]) -> bool:
    """A search (stage 1) rather than a short list (stage 2): the stored study has a [search] table."""
    return bool(study.get("search"))


def search_pending(found: Sequence[Draw], study: dict[str, Any]) -> str | None:
    """Why the search cannot short-list yet (None: it can): stage 2 needs every system's score at
    every one of the K draws (a diverged draw counts, as a failed one). A short list from part of the
    search would re-rank systems by how far each one's runs had got."""
    k = int(study.get("search", {}).get("k", 0))
    systems = list(study.get("systems", {})) or list(dict.fromkeys(d.system for d in found))
    scored = {(d.system, d.draw) for d in found if d.kid is not None}
    done = sum((s, i) in scored for s in systems for i in range(k))
    if done == k * len(systems):
        return None
    return _incomplete("search", done, k * len(systems), f"{len(systems)} systems x {k} draws", "short-list.toml is")


def _incomplete(stage: str, done: int, expected: int, shape: str, files: str) -> str:
    return (f"the {stage} is incomplete ({done} of its {expected} runs scored among those given: {shape}), so "
            f"{files} not written; finish it with the same `gans study`, or give gans compare all its runs")


def _unscored(per_seed: dict[str, list[float]], study: dict[str, Any]) -> tuple[int, int, int] | None:
    """(scored, expected, systems) where some system of the stored study lacks a seed's score; None
    when all are there. ``per_seed``: system -> its seeds' scores (NaN: diverged, which counts)."""
    systems = list(study.get("systems", {})) or list(per_seed)
    seeds = len(study.get("seeds", [])) or max(map(len, per_seed.values()), default=0)
    done = sum(min(len(per_seed.get(s, [])), seeds) for s in systems)
    return None if done == seeds * len(systems) else (done, seeds * len(systems), len(systems))


def short_list_pending(per_seed: dict[str, list[float]], study: dict[str, Any]) -> str | None:
    """Why the short list cannot pick yet (None: it can): every short-listed draw scored (or diverged)
    at every seed the stored study states."""
    if (gap := _unscored(per_seed, study)) is None:
        return None
    return _incomplete("short list", gap[0], gap[1], f"{gap[2]} draws x {gap[1] // gap[2]} seeds",
                       "picks.md and confirm.toml are")


STAGE_FILES = {"confirm": ("confirmation", "pairs.md and horizon.toml are"), "horizon": ("horizon", "pairs.md is")}


def stage_pending(per_seed: dict[str, list[float]], study: dict[str, Any]) -> str | None:
    """Why a confirmation or horizon cannot be tested yet (None: it can): a test over part of a stage's
    seeds would state verdicts the protocol's n does not back."""
    if (gap := _unscored(per_seed, study)) is None:
        return None
    stage, files = STAGE_FILES[study["stage"]]
    return _incomplete(stage, gap[0], gap[1], f"{gap[2]} systems x {gap[1] // gap[2]} seeds", files)


def _drawn_fields(study: dict[str, Any]) -> set[str]:
    """The train fields a stored study set per system: its [search] dimensions and every flag its
    systems table gives (a system of the search may change flags of its preset too)."""
    names = {k.replace("-", "_") for k in study.get("search", {})} - {"k", "seed"}
    if names & {"beta1", "beta2"}:
        names = names - {"beta1", "beta2"} | {"betas"}
    names |= {k.replace("-", "_") for flags in study.get("systems", {}).values() for k in (flags or {})}
    return {n for n in names if n in FIELDS} - {"preset", "label"}


def drawn_flags(runs: Sequence[RunDir], study: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each searched run's configuration (system@draw=NN -> flags): its preset and the fields its
    study set per system, read from the run's resolved config."""
    fields = sorted(_drawn_fields(study))
    return {r.system: {"preset": r.cfg.preset, **{k: _plain(getattr(r.cfg, k)) for k in fields}}
            for r in runs if searched(r)}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Pick:
    """A system's pick: the short-listed draw with the lowest mean KID over the short list's seeds."""

    system: str
    draw: str  # system@draw=NN
    kid: float
    fid: float | None
    seeds: int


@dataclass(frozen=True)
class Standing:
    """A system's (stage 4) or a draw's (stage 2) mean KID over its seeds (+inf where one diverged:
    a failed draw) and mean FID."""

    name: str
    kid: float
    fid: float | None


def standings(kid_by_system: dict[str, list[float]], fid_by_system: dict[str, list[float]]) -> list[Standing]:
    """Systems by mean KID over their seeds, lowest first (NaN: a diverged seed, mean +inf). A KID
    within ``TIE`` of the best one left is a tie, which the lower mean FID wins: stage 2's rule."""
    left = []
    for system, kids in kid_by_system.items():
        fids = [f for f in fid_by_system.get(system, []) if math.isfinite(f)]
        kid = sum(kids) / len(kids) if kids and all(math.isfinite(k) for k in kids) else math.inf
        left.append(Standing(system, kid, sum(fids) / len(fids) if fids else None))
    out = []
    while left:
        best = min(p.kid for p in left)
        # a gap of exactly 0.1 x1e3 is a tie whichever way its floats round (0.0053 - 0.0052 > 1e-4)
        tied = [p for p in left if p.kid - best <= TIE * (1 + 1e-9) or p.kid == best]  # inf - inf is nan
        out.append(min(tied, key=lambda p: (p.fid if p.fid is not None else math.inf, p.kid)))
        left.remove(out[-1])
    return out


def picks(found: Sequence[Draw], kid_by_draw: dict[str, list[float]], fid_by_draw: dict[str, list[float]]) -> list[Pick]:
    """Each system's pick among its draws (``found``), from each draw's per-seed KID and FID (NaN for
    a seed that diverged: the draw is then a failed draw, mean +inf, as in the search)."""
    out = []
    for system in dict.fromkeys(d.system for d in found):
        names = [n for d in found if d.system == system and kid_by_draw.get(n := f"{d.system}{SWEPT}{d.setting}")]
        ranked = standings({n: kid_by_draw[n] for n in names}, {n: fid_by_draw.get(n, []) for n in names})
        if ranked and math.isfinite(ranked[0].kid):
            out.append(Pick(system, ranked[0].name, ranked[0].kid, ranked[0].fid, len(kid_by_draw[ranked[0].name])))
    return out


CARRIED = ("jobs", "executor", "timeout-min", "max-requeues", "slurm")  # where and how the stored study ran


def _study(header: str, stored: dict[str, Any], seeds: list[int], systems: dict[str, dict[str, Any]],
           eval_over: dict[str, Any], stage: str, train_over: dict[str, Any] | None = None) -> str | None:
    """A stage's study file: the stored study's setting and where it ran, these systems at these
    seeds; None when no system is left to run (every one failed the stage before)."""
    if not systems:
        return None
    doc = {"stage": stage, "seeds": seeds, **{k: stored[k] for k in CARRIED if k in stored}, "systems": systems,
           "train": {**stored.get("train", {}), **(train_over or {})}, "eval": {**stored.get("eval", {}), **eval_over}}
    return header + tomli_w.dumps(doc)


def reused_seeds(stored: dict[str, Any], stage: str, seeds: Sequence[int]) -> str | None:
    """Why ``stage``'s study cannot be written, where the runs before it used one of its seeds: a
    choice confirmed on the seeds that made it is not confirmed (PROTOCOL.md: each stage's seeds are
    fresh). None where the seeds are apart."""
    used = sorted(set(stored.get("seeds", [])) & set(seeds))
    if not used:
        return None
    return (f"these runs used seed{'s' if len(used) > 1 else ''} {', '.join(map(str, used))}, which the {stage} "
            f"(seeds {', '.join(map(str, seeds))}) would run again, so {stage}.toml is not written: a stage's "
            "seeds must be fresh (PROTOCOL.md); run the stage before it at other seeds (a search at seed 0, or 4)")


def short_list_study(found: Sequence[Draw], flags: dict[str, dict[str, Any]], stored: dict[str, Any]) -> str | None:
    """Stage 2's study file: every system's short list at SHORT_LIST_SEEDS."""
    listed = {system: short_list(found, system) for system in dict.fromkeys(d.system for d in found)}
    systems = {name: flags[name] for system, draws in listed.items()
               for name in (f"{system}{SWEPT}{d.setting}" for d in draws)}
    failed = [system for system, draws in listed.items() if not draws]
    head = ("# Stage 2 of samples/study/PROTOCOL.md, written by `gans compare` from the search's KID: each\n"
            "# system's short list at fresh seeds, with the search's own [train] and [eval].\n"
            + "".join(f"#   {s}: every draw of the search failed, so it has no short list\n" for s in failed))
    return _study(head, stored, SHORT_LIST_SEEDS, systems, {}, "short-list")


def confirm_study(chosen: Sequence[Pick], flags: dict[str, dict[str, Any]], stored: dict[str, Any]) -> str | None:
    """Stage 3's study file: every system at its pick, seeds no stage used, the confirmation's endpoints."""
    systems = {p.system: flags[p.draw] for p in chosen}
    head = ("# Stage 3 of samples/study/PROTOCOL.md, written by `gans compare` from the short list's mean KID:\n"
            "# every system at its pick, on seeds no stage used, with the short list's [train] and [eval].\n"
            + "".join(f"#   {p.system}: {p.draw}, mean KID x1e3 {p.kid * 1e3:.1f} over {p.seeds} seeds\n" for p in chosen))
    return _study(head, stored, CONFIRM_SEEDS, systems, CONFIRM_EVAL, "confirm")


def markdown(chosen: Sequence[Pick], systems: Sequence[str]) -> str:
    """picks.md: each system's pick with the evidence PROTOCOL.md's stage 2 decides by; a system
    whose every draw failed is named as such."""
    lines = ["# Each system's pick (samples/study/PROTOCOL.md, stage 2)", "",
             "| system | pick | mean KID x1e3 | mean FID | seeds |", "|---|---|---|---|---|"]
    lines += [f"| {p.system} | {p.draw} | {p.kid * 1e3:.1f} | {'—' if p.fid is None else f'{p.fid:.1f}'} | {p.seeds} |"
              for p in chosen]
    lines += [f"| {s} | none: every short-listed draw diverged on a seed or was not scored | — | — | — |"
              for s in systems if s not in {p.system for p in chosen}]
    lines += ["", f"The short-listed draw with the lowest mean KID over its seeds; within {TIE * 1e3:g} x1e3 of it, "
                  "the lower mean FID; a draw with a diverged seed is a failed draw. confirm.toml runs each pick "
                  "on fresh seeds."]
    return "\n".join(lines) + "\n"


def horizon_study(ranked: Sequence[Standing], stored: dict[str, Any]) -> str | None:
    """Stage 4's study file: the HORIZON_SYSTEMS systems of lowest confirmation mean KID (a system
    with a diverged seed never among them), at their picks, HORIZON_STEPS steps, HORIZON_SEEDS."""
    chosen = [p for p in ranked if math.isfinite(p.kid)][:HORIZON_SYSTEMS]
    head = ("# Stage 4 of samples/study/PROTOCOL.md, written by `gans compare` from the confirmation's mean KID:\n"
            f"# its {HORIZON_SYSTEMS} best systems at their picks, {HORIZON_STEPS} steps, with the confirmation's [eval].\n"
            + "".join(f"#   {p.name}: mean KID x1e3 {p.kid * 1e3:.1f}\n" for p in ranked))
    systems = {p.name: stored["systems"][p.name] for p in chosen}
    return _study(head, stored, HORIZON_SEEDS, systems, {}, "horizon", {"steps": HORIZON_STEPS})
