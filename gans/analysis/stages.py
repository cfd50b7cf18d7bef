"""What a study's runs decide next under samples/study/PROTOCOL.md, written beside their report.

Over a search: budget.md/png (what k of the same K configurations buy each system) and stage 2's
study file; over a short list: each system's pick and stage 3's; over a confirmation: its tests of
every pair (pairs.md) and stage 4's; over a horizon: its tests. Over runs of no stage, three systems or
more get pairs.md (a search's or short list's draws never: the rule chooses among them). A
stage's file is written only from the whole stage before it: otherwise ``say`` gets one line why,
and no file of that name is left from an earlier report, so a stale stage cannot be run. The rule
itself is gans.analysis.selection; this module only reads the runs and writes the files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from gans.analysis import budget, pairs, selection, sweep
from gans.analysis.rundirs import RunDir, by_system
from gans.analysis.rows import SystemRow, failed
from gans.core.files import write_atomic

FILES = ("budget.md", "budget.png", "short-list.toml", "picks.md", "confirm.toml", "horizon.toml", "pairs.md")


def _per_seed(rows: Sequence[SystemRow], key: str) -> dict[str, list[float]]:
    return {r.system: r.numbers[key].per_seed for r in rows}


def write(rows: Sequence[SystemRow], runs: Sequence[RunDir], out: Path, say: Callable[[str], None]) -> dict[str, Path]:
    """The stage files these runs warrant (see the module's doc); earlier ones they do not are removed."""
    made: dict[str, Path] = {}

    def text(name: str, body: str | None, why_not: str = "") -> None:
        if body is not None:
            made[name] = write_atomic(out / name, lambda f: f.write(body.encode()))
        elif why_not:
            say(f"note: {why_not}")

    searched = budget.draws(rows)
    stored = selection.stored_study(runs) if searched else selection.stored_study(runs, lambda r: True)
    if searched and (stored is None or selection.is_search(stored)):
        pending = selection.search_pending(searched, stored) if stored is not None else None
        k = (int(stored["search"].get("k", 0)) or None) if stored is not None else None
        text("budget.md", budget.markdown(searched, _settings(runs), k, pending))
        made["budget.png"] = budget.plot(searched, out / "budget.png", pending)
        if stored is not None:  # runs outside one study's folder: no stored setting to carry on
            reused = selection.reused_seeds(stored, "short-list", selection.SHORT_LIST_SEEDS)
            text("short-list.toml", None if pending or reused else
                 selection.short_list_study(searched, selection.drawn_flags(runs, stored), stored),
                 pending or reused or "every system's every draw failed the search: no short list to run")
    elif searched:  # a short list: each system's pick, and the confirmation of the picks
        drawn = [r for r in rows if sweep.draw_of(r.system) is not None]
        kid, fid = _per_seed(drawn, "kid"), _per_seed(drawn, "fid")
        if pending := (selection.short_list_pending(kid, stored)
                       or selection.reused_seeds(stored, "confirm", selection.CONFIRM_SEEDS)):
            say(f"note: {pending}")
        else:
            chosen = selection.picks(searched, kid, fid)
            text("picks.md", selection.markdown(chosen, list(dict.fromkeys(d.system for d in searched))))
            text("confirm.toml", selection.confirm_study(chosen, selection.drawn_flags(runs, stored), stored),
                 "every short-listed draw failed: no pick to confirm (picks.md)")
    elif stored is not None and stored.get("stage") in selection.STAGE_FILES:  # a confirmation or a horizon
        kid, fid = _per_seed(rows, "kid"), _per_seed(rows, "fid")
        if pending := selection.stage_pending(kid, stored):
            say(f"note: {pending}")
        else:
            text("pairs.md", pairs.markdown(rows, stored["stage"], _curves(runs)))
            if stored["stage"] == "confirm":
                text("horizon.toml", selection.horizon_study(selection.standings(kid, fid), stored),
                     "every system diverged on a confirmation seed: no horizon to run")
    elif len(rows) > 2:  # a ranking claims every pair: PROTOCOL.md's tests, Holm over the pairs
        text("pairs.md", pairs.markdown(rows, curves=_curves(runs)))
    for name in FILES:
        if name not in made:
            (out / name).unlink(missing_ok=True)
    return made


def _curves(runs: Sequence[RunDir]) -> dict[str, list[dict[int, float]]]:
    """Each system's seeds' FID by sample count, diverged runs left out as the tests beside it leave
    them (a run that failed in its score keeps its curve's numbers) (gans.analysis.pairs.curve_lines)."""
    return {system: [c for r in group if not failed(r) and (c := r.fid_curve)] for system, group in by_system(runs).items()}


def _settings(runs: Sequence[RunDir]) -> dict[int, str]:
    """Each search draw's configuration as text, from its runs' resolved configs."""
    out = {}
    for r in runs:
        if (draw := sweep.draw_of(r.cfg.system)) is not None:
            c = r.cfg
            out[draw] = (f"lr {c.lr:.3g}, betas ({c.betas[0]:g}, {c.betas[1]:g}), n-critic {c.n_critic}, "
                         f"init D {c.init} / G {c.generator_init}, {c.d_pass} pass")
    return out
