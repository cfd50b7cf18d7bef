"""A study as stated: systems x seeds with shared train and eval settings, read from a TOML file,
flags, or the study directory it was started in, and resolved into one checked config per run."""
from __future__ import annotations

import dataclasses
import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from gans.analysis.sweep import SWEPT
from gans.config import FIELDS, PRESETS, TrainConfig, field_name, resolve
from gans.core.errors import UserError
from gans.study.search import Space, draw_name

EXECUTORS = ("local", "slurm")
STUDY_FILE = "study.toml"
# what a study's [eval] table may set: the protocol of `gans eval` plus where its weights are
PROTOCOL_KEYS = ("num_samples", "repeats", "reference", "reference_count", "seed", "kid_subsets", "kid_subset_size",
                 "prdc_k", "fid_sizes")
EVAL_KEYS = (*PROTOCOL_KEYS, "inception_weights", "batch_size")
STAGES = ("", "short-list", "confirm", "horizon")  # samples/study/PROTOCOL.md's stages 2-4, as gans compare writes them


@dataclass
class Study:
    """A study as its TOML file states it."""

    systems: dict[str, dict[str, Any]]  # name -> train flags (a preset, plus what the system changes)
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    train: dict[str, Any] = field(default_factory=dict)  # flags every run shares
    eval: dict[str, Any] = field(default_factory=dict)  # gans eval settings for each run's final checkpoint
    jobs: int = 1
    executor: str = "local"
    timeout_min: int = 7 * 24 * 60
    # times a job stopped by its time limit is requeued to resume from its checkpoint (submitit's
    # max_num_timeout; a preempted job is requeued every time, as submitit does)
    max_requeues: int = 3
    slurm: dict[str, Any] = field(default_factory=dict)  # submitit's slurm_* parameters, without the prefix
    # flag -> values: every system is run at every combination (the same grid for all, as Kurach et
    # al. 2019 give each normalization the same budget); the report picks each system's best by FID
    sweep: dict[str, list[Any]] = field(default_factory=dict)
    # a random search (gans.study.search): K configurations drawn once from a declared distribution,
    # the same K for every system; the report draws each system's expected-best-of-k curve
    search: dict[str, Any] = field(default_factory=dict)
    # which stage of samples/study/PROTOCOL.md wrote this file ("" for a study a person wrote), so
    # that `gans compare` over its runs writes the next stage's file (gans.analysis.selection)
    stage: str = ""
    source: str = field(default="", compare=False)  # the file it was read from, for errors; not part of the study

    def __post_init__(self) -> None:
        # keys as fields are named, however the file or flags spelled them (n-critic, n_critic)
        self.train = {field_name(k): v for k, v in self.train.items()}
        self.eval = {field_name(k): v for k, v in self.eval.items()}
        self.systems = {name: {field_name(k): v for k, v in (flags or {}).items()} for name, flags in self.systems.items()}
        self.sweep = {field_name(k): v for k, v in self.sweep.items()}
        self.search = {field_name(k): v for k, v in self.search.items()}

    @classmethod
    def from_toml(cls, text: str, source: str, _seen: tuple[Path, ...] = ()) -> "Study":
        """The study a TOML file states. ``base = "other.toml"`` (relative to this file) starts from
        that study: its [train] and [eval] tables are merged key by key, every other key this file
        sets replaces the base's, so a sweep or a screen states only what it changes."""
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise UserError(f"{source} is not valid TOML ({e}); fix the file") from None
        known = {f.name for f in dataclasses.fields(cls)} - {"source"} | {"base"}
        unknown = sorted(set(map(field_name, raw)) - known)
        if unknown:
            raise UserError(f"{source}: unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(known))}")
        raw = {field_name(k): v for k, v in raw.items()}
        if "base" in raw:
            raw = cls._on_base(raw, source, _seen)
        systems = raw.pop("systems", None)
        if isinstance(systems, list):  # a list of presets as they are
            systems = {name: {} for name in systems}
        if not isinstance(systems, dict) or not systems:
            raise UserError(f"{source}: 'systems' must list presets (systems = [\"sngan\", ...]) or be a table "
                            "of name = {preset = ..., flags...}")
        try:
            study = cls(systems=systems, **raw, source=source)
        except (TypeError, AttributeError) as e:
            raise UserError(f"{source}: {e}; see gans study --help for the file's layout") from None
        return study

    @classmethod
    def _on_base(cls, raw: dict[str, Any], source: str, seen: tuple[Path, ...]) -> dict[str, Any]:
        path = (Path(source).parent / str(raw.pop("base"))).resolve()
        if path in seen:
            raise UserError(f"{source}: base = {path.name!r} comes back to itself; remove one of the base keys")
        if not path.is_file():
            raise UserError(f"{source}: base file {path} does not exist; give base a path relative to {source}")
        base = cls.from_toml(path.read_text(), str(path), (*seen, path))
        merged = {f.name: getattr(base, f.name) for f in dataclasses.fields(cls) if f.name != "source"}
        for table in ("train", "eval"):
            merged[table] = {**merged[table], **{field_name(k): v for k, v in raw.pop(table, {}).items()}}
        return {**merged, **raw}

    def to_toml(self) -> str:
        def keys(d: dict[str, Any]) -> dict[str, Any]:  # spelled like the flags, as users write them
            return {k.replace("_", "-"): keys(v) if isinstance(v, dict) else (list(v) if isinstance(v, tuple) else v)
                    for k, v in d.items()}

        doc = {"seeds": self.seeds, "jobs": self.jobs, "executor": self.executor, "timeout-min": self.timeout_min,
               "max-requeues": self.max_requeues,
               "systems": {name: keys(flags) for name, flags in self.systems.items()},
               "train": keys(self.train), "eval": keys(self.eval), "slurm": keys(self.slurm),
               **({"sweep": keys(self.sweep)} if self.sweep else {}),
               **({"search": keys(self.search)} if self.search else {}),
               **({"stage": self.stage} if self.stage else {})}
        return "# A gans study; `gans study --config THIS_FILE --out DIR` repeats it.\n" + tomli_w.dumps(doc)

    def same_experiment(self, other: "Study") -> bool:
        """Whether two studies give the same runs (how many at once, and where, does not matter)."""
        how = {"jobs": 1, "executor": "local", "timeout_min": 0, "max_requeues": 0, "slurm": {}}
        return dataclasses.replace(self, **how).to_toml() == dataclasses.replace(other, **how).to_toml()

    @property
    def where(self) -> str:
        """How an error names this study: its file, when it came from one."""
        return f"{self.source}: " if self.source else ""

    def space(self) -> Space:
        return Space.of(self.search, f"{self.where}[search]")

    def _check_fid_sizes(self) -> None:
        """FID-infinity's sample counts, checked before any run rather than dropped after training."""
        from gans.eval.protocol import OWN

        sizes, count = self.eval.get("fid_sizes"), self.eval.get("num_samples") or OWN["study"]["num_samples"]
        if sizes is None:
            return
        if not (isinstance(sizes, list) and len(set(map(repr, sizes))) >= 2
                and all(_integer(n, 2) and n <= count for n in sizes)):
            raise UserError(f"{self.where}[eval] fid-sizes must list at least two distinct sample counts in "
                            f"[2, num-samples = {count}], e.g. fid-sizes = [1250, 2500, 3750, 5000]; got {sizes!r}")

    def _check_eval_values(self) -> None:
        """[eval]'s values by type, before study.toml is written: a bad one found later would leave a
        study directory that only its own bad file can continue."""
        for key, value in self.eval.items():
            name = field_name(key)
            if name in ("reference", "inception_weights"):
                if not isinstance(value, str) or not value:
                    raise UserError(f"{self.where}[eval] {_key(name)} must be a path or a name, got {value!r}")
            elif name in ("num_samples", "repeats", "reference_count", "kid_subsets", "kid_subset_size", "prdc_k",
                          "batch_size", "seed"):
                least = 0 if name == "seed" else 1
                if not _integer(value, least):
                    raise UserError(f"{self.where}[eval] {_key(name)} must be an integer >= {least}, got {value!r}")

    def check(self) -> None:
        if not isinstance(self.seeds, list) or not self.seeds \
                or not all(_integer(s) for s in self.seeds):
            raise UserError(f"seeds must be a list of integers, got {self.seeds!r}")
        twice = next((s for i, s in enumerate(self.seeds) if s in self.seeds[:i]), None)
        if twice is not None:  # two runs of one seed would be one run directory counted as two seeds
            raise UserError(f"seeds lists {twice} twice: each seed is one run; list each once")
        if not self.systems:
            raise UserError("a study needs at least one system; give systems = [\"sngan\", ...] or --systems NAMES")
        if not isinstance(self.slurm, dict):
            raise UserError(f"[slurm] must be a table of submitit's SlurmExecutor settings, got {self.slurm!r}")
        if not isinstance(self.jobs, int) or self.jobs < 1:
            raise UserError(f"--jobs must be >= 1, got {self.jobs!r}")
        if self.executor not in EXECUTORS:
            raise UserError(f"unknown executor {self.executor!r}; choose one of {', '.join(EXECUTORS)}")
        for name in ("timeout_min", "max_requeues"):
            value = getattr(self, name)
            least = 1 if name == "timeout_min" else 0
            if not _integer(value, least):
                raise UserError(f"{_key(name)} must be an integer >= {least}, got {value!r}")
        if self.executor == "local" and self.max_requeues > LOCAL_MAX_REQUEUES:
            raise UserError(f"max-requeues {self.max_requeues}: submitit's local executor restarts a job at most "
                            f"{LOCAL_MAX_REQUEUES} times; lower it, or raise timeout-min")
        check_slurm_keys(self.slurm)
        bad = sorted(set(map(field_name, self.eval)) - set(EVAL_KEYS))
        if bad:
            raise UserError(f"{self.where}[eval] has no key {_key(bad[0])!r}; valid keys: "
                            f"{', '.join(map(_key, EVAL_KEYS))}")
        for k in ("out", "seed", "preset", "label"):
            if k in self.train or k in self.sweep:
                raise UserError(f"[{'train' if k in self.train else 'sweep'}] cannot set {k!r}: the study sets it "
                                "for each run")
        self._check_eval_values()
        self._check_fid_sizes()
        if self.stage not in STAGES:
            raise UserError(f"{self.where}stage {self.stage!r} is none of {', '.join(map(repr, STAGES))}; it names "
                            "the PROTOCOL.md stage whose `gans compare` wrote the file: leave it out of your own studies")
        if self.sweep and self.search:
            raise UserError(f"{self.where}a study has a [sweep] grid or a [search], not both; split it into two files")
        if self.search:
            drawn = set(self.space().draws()[0])
            for name, flags in self.systems.items():
                if drawn & set(flags):  # the draw would silently replace the system's own setting
                    raise UserError(f"{self.where}system {name} sets {', '.join(sorted(drawn & set(flags)))}, which "
                                    "[search] draws; remove it from the system, or from [search]")
        for k, values in self.sweep.items():
            if k not in FIELDS:
                raise UserError(f"[sweep] has no flag {k!r}; sweep train flags, e.g. lr = [1e-4, 2e-4]")
            if not isinstance(values, list) or not values:
                raise UserError(f"[sweep] {k} must be a non-empty list of values, got {values!r}")


LOCAL_MAX_REQUEUES = 5  # submitit's local Controller.run(max_retry=6): six starts in all
# set by the study itself (from jobs, timeout-min, max-requeues): not for the [slurm] table
SLURM_OWN = ("timeout_min", "cpus_per_task", "max_num_timeout", "time")


def check_slurm_keys(table: dict[str, Any]) -> None:
    """Every [slurm] key must be a parameter of submitit's SlurmExecutor (without its slurm_ prefix)."""
    if not table:
        return
    import submitit

    valid = sorted(set(submitit.SlurmExecutor._valid_parameters()) - set(SLURM_OWN))
    for key in table:
        name = key.replace("-", "_").removeprefix("slurm_")
        if name in SLURM_OWN:
            raise UserError(f"[slurm] cannot set {key!r}: the study sets it (timeout-min, jobs, max-requeues)")
        if name not in valid:
            raise UserError(f"[slurm] has no key {key!r}; valid keys (submitit's SlurmExecutor): "
                            f"{', '.join(k.replace('_', '-') for k in valid)}")


def _integer(value: Any, least: int | None = None) -> bool:
    """An integer from a TOML file (not a bool, which Python counts as one), at least ``least``."""
    return isinstance(value, int) and not isinstance(value, bool) and (least is None or value >= least)


def _key(name: str) -> str:
    """A key as study files and the README spell it (num-samples), whatever the code calls it."""
    return name.replace("_", "-")


def _value_name(v: Any) -> str:
    return ":".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)


def variants(study: Study) -> dict[str, dict[str, Any]]:
    """Each system at each point of the sweep, or at each of the search's draws (the systems as they
    are without either), name -> flags."""
    if study.search:
        space = study.space()
        # draw by draw, every system at each: a search stopped part-way has given every system the
        # same draws so far, which a system-by-system order would not
        return {f"{name}{SWEPT}{draw_name(i, space.k)}": {**flags, **point, "preset": flags.get("preset", name)}
                for i, point in enumerate(space.draws()) for name, flags in study.systems.items()}
    if not study.sweep:
        return dict(study.systems)
    keys = list(study.sweep)
    out = {}
    for name, flags in study.systems.items():
        for point in itertools.product(*(study.sweep[k] for k in keys)):
            setting = ",".join(f"{k.replace('_', '-')}={_value_name(v)}" for k, v in zip(keys, point))
            out[f"{name}{SWEPT}{setting}"] = {**flags, **dict(zip(keys, point)), "preset": flags.get("preset", name)}
    return out


def run_configs(study: Study, root: Path) -> list[TrainConfig]:
    """Every run of the study, resolved and checked before anything is written; seed by seed, so a
    study stopped part-way has every system at its first seeds rather than some systems at none."""
    for name, flags in study.systems.items():
        preset = flags.get("preset", name)
        if preset not in PRESETS:
            raise UserError(f"{study.where}[systems] {name}: unknown preset {preset!r}; give it preset = one of "
                            f"{', '.join(PRESETS)}")
    out = []
    for seed in study.seeds:
        for name, flags in variants(study).items():
            try:
                out.append(resolve({**study.train, **flags, "preset": flags.get("preset", name),
                                    "label": "" if name == flags.get("preset", name) else name, "seed": seed,
                                    "out": str(root / "runs" / f"{name}-seed{seed}")}))
            except UserError as e:  # say which table or system set the bad value, not only the flag
                raise UserError(f"{study.where}system {name} ([train], its flags{' or its draw' if study.search else ''}): "
                                f"{e}") from None
    return out


def protocol_of(study: Study, cfg: TrainConfig):
    """The protocol a study scores each run's final checkpoint with: the "study" protocol's defaults,
    its [eval] table over them; the reference defaults to the run's training-time one, else its data."""
    from gans.eval.protocol import Protocol

    given = {k: study.eval.get(k) for k in PROTOCOL_KEYS}
    return Protocol.build("study", **{**given, "reference": given["reference"] or cfg.eval_reference or cfg.dataset})
