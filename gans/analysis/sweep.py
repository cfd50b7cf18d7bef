"""A sweep's verdict: each system's settings ranked by FID, and the best one picked.

`gans study` with a [sweep] table runs every system at every point of one grid and names each run's
system ``system@flag=value,...``; this reads those names back from the compare table's rows. The
pick is the lowest mean FID over the point's seeds (Kurach et al. 2019 pick by FID the same way);
with one seed per point it is one draw of a noisy number, which the table says by its n.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

# LEARNS: a point learns when every seed's FID is at most this times its untrained generator's
from gans.analysis.rows import LEARNS, SystemRow

SWEPT = "@"  # system@flag=value,flag=value: a system at one point of the sweep
DRAW = "draw"  # system@draw=NN: a system at one configuration of a study's [search] (gans.analysis.budget)


def system_of(name: str) -> tuple[str, str]:
    """(system, setting) of a swept system's name; (name, "") for one without a sweep."""
    system, _, setting = name.partition(SWEPT)
    return system, setting


@dataclass(frozen=True)
class SweepPoint:
    """One system at one setting: its FID over seeds and how far it got from its untrained generator."""

    system: str
    setting: str
    fid: float | None  # mean over seeds
    n: int
    learned_worst: float | None  # the worst seed's FID / untrained
    diverged: int = 0  # seeds left out of ``fid`` and ``n`` because they diverged

    @property
    def learns(self) -> bool | None:
        """Whether every seed reached 0.6x its untrained FID (the bar the README's presets keep); a
        seed that diverged did not."""
        if self.diverged:
            return False
        return None if self.learned_worst is None else self.learned_worst <= LEARNS


def draw_of(name: str) -> int | None:
    """The draw of a searched system's name (system@draw=NN -> NN); None for any other name."""
    _, setting = system_of(name)
    key, eq, value = setting.partition("=")
    return int(value) if key == DRAW and eq and value.isdigit() else None


def points(rows: Sequence[SystemRow]) -> list[SweepPoint]:
    """The swept rows as points, in the table's order; rows without a setting are left out."""
    out = []
    for row in rows:
        system, setting = system_of(row.system)
        if setting and draw_of(row.system) is None:  # a search's draws are budget.md's
            s = row.numbers["fid"].seeds
            out.append(SweepPoint(system, setting, s.mean if s else None, s.n if s else 0, row.learned_worst,
                                  row.numbers["fid"].excluded))
    return out


def best(found: Sequence[SweepPoint]) -> dict[str, SweepPoint]:
    """Each system's point of lowest mean FID; points without a FID, or with a diverged seed, never
    win (as a failed draw counts +inf in budget.md): a mean over the seeds that survived flatters it."""
    out: dict[str, SweepPoint] = {}
    for p in found:
        if p.fid is not None and not p.diverged and (p.system not in out or p.fid < out[p.system].fid):
            out[p.system] = p
    return out


def markdown(found: Sequence[SweepPoint]) -> str:
    chosen = best(found)
    lines = ["| system | setting | FID (mean over n) | n | FID / untrained (worst seed) | best |", "|---|---|---|---|---|---|"]
    for p in found:
        lines.append(f"| {p.system} | {p.setting} | {'—' if p.fid is None else f'{p.fid:.2f}'} | {p.n}"
                     f"{f' ({p.diverged} diverged)' if p.diverged else ''} | "
                     f"{'—' if p.learned_worst is None else f'{p.learned_worst:.2f}'} | "
                     f"{'**best**' if chosen.get(p.system) is p else ''} |")
    lines += ["", f"best: the lowest mean FID of each system over the same grid; a point learns when every seed's "
                  f"FID is at most {LEARNS}x its untrained generator's."]
    return "\n".join(lines) + "\n"
