"""The study `gans study` was asked for: a study file and flags make a new one, else the one stored in
its directory continues; KEY=VALUE flags read as TOML values."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from gans.config import field_name
from gans.core.errors import UserError
from gans.study.spec import STUDY_FILE, Study


def load_or_create(out: Path, study: Study | None) -> Study:
    """The study of ``out``: the one given (written to out/study.toml), or the one already there.
    A different study in an existing directory is refused: it would mix two experiments."""
    path = out / STUDY_FILE
    existing = Study.from_toml(path.read_text(), str(path)) if path.is_file() else None
    if study is None:
        if existing is None:
            raise UserError(f"{out} holds no study ({STUDY_FILE}); pass --config STUDY.toml or --systems")
        return existing
    if existing is not None and not existing.same_experiment(study):
        raise UserError(f"{out} holds a different study ({path}); pass another --out, or run "
                        f"`gans study --out {out}` alone to continue it")
    return study


def key_values(pairs: tuple[str, ...], flag: str) -> dict[str, Any]:
    """KEY=VALUE pairs; a value is read as TOML (0.25, true, [0.5, 0.9]) or else kept as text."""
    out = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key.strip():
            raise UserError(f"{flag} {pair!r} is not KEY=VALUE (e.g. {flag} width=0.25)")
        try:
            out[field_name(key.strip())] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            out[field_name(key.strip())] = value
    return out


def from_options(out: Path, config_file: str | None, systems: str | None, seeds: str | None, jobs: int | None,
                 executor: str | None, train_pairs: tuple[str, ...] = (), eval_pairs: tuple[str, ...] = ()) -> Study:
    """The study `gans study` was asked for: a file and/or --systems make a new one (flags override
    the file), else the one stored in ``out`` continues, where only how many run at once and where
    may change."""
    given = None
    if config_file or systems:
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise UserError(f"study file {path} does not exist; pass an existing TOML file to --config")
            given = Study.from_toml(path.read_text(), str(path))
        else:
            given = Study(systems={})
        if systems:
            given.systems = {name.strip(): {} for name in systems.split(",") if name.strip()}
        if seeds:
            try:
                given.seeds = [int(s) for s in seeds.split(",") if s.strip()]
            except ValueError:
                raise UserError(f"--seeds must be integers like 0,1,2, got {seeds!r}") from None
        given.train.update(key_values(train_pairs, "--train"))
        given.eval.update(key_values(eval_pairs, "--eval"))
        given.jobs = jobs or given.jobs
        given.executor = executor or given.executor
    elif seeds or train_pairs or eval_pairs:
        raise UserError("--seeds, --train and --eval describe a new study: pass --systems or --config too")
    chosen = load_or_create(out, given)
    if given is None and (jobs or executor):
        chosen.jobs, chosen.executor = jobs or chosen.jobs, executor or chosen.executor
    return chosen
