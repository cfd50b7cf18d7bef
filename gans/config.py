"""Training configuration: defaults < preset < optimizer setting < config file < flags.

This module owns the naming of every option: a field ``n_critic`` is the flag ``--n-critic`` and
the TOML key ``n-critic``; its help text and whether it may change on ``--resume`` are in the
field's metadata, so the CLI builds its options from here. A run directory's ``config.toml``
holds the resolved config (without ``out``), so ``gans train --config RUN/config.toml --out NEW``
repeats the run.
"""
from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from gans.errors import UserError

# Optimizer settings A-F of the SNGAN paper (Miyato et al. 2018, Table 1); the MSN paper uses them too.
SETTINGS: dict[str, dict[str, Any]] = {
    "A": {"lr": 1e-4, "betas": (0.5, 0.9), "n_critic": 5},
    "B": {"lr": 1e-4, "betas": (0.5, 0.999), "n_critic": 1},
    "C": {"lr": 2e-4, "betas": (0.5, 0.999), "n_critic": 1},
    "D": {"lr": 1e-3, "betas": (0.5, 0.9), "n_critic": 5},
    "E": {"lr": 1e-3, "betas": (0.5, 0.999), "n_critic": 5},
    "F": {"lr": 1e-3, "betas": (0.9, 0.999), "n_critic": 5},
}

# A preset is a whole system: critic norm, loss, penalty and its optimizer. See the README's
# "Presets" table for which paper each follows and the measurements behind the defaults.
PRESETS: dict[str, dict[str, Any]] = {
    "wgan-gp": {"norm": "bn", "loss": "wgan", "gp": True, **SETTINGS["C"]},
    "sngan": {"norm": "sn", "loss": "hinge", "gp": False, **SETTINGS["C"]},
    # MSN centres real and fake images with one batch mean (--d-pass joint): measured best of the
    # placements and passes tried (README, "The comparison, measured"); separate passes give each
    # batch its own mean, which hides the batch's mean colour from the critic.
    "msngan": {"norm": "msn", "loss": "hinge", "gp": False, "d_pass": "joint", **SETTINGS["C"]},
    # MSN as the authors' code places it (after the 4th, 6th and 7th convs), separate passes.
    "msngan-seedcode": {"norm": "msn:layers=seed", "loss": "hinge", "gp": False, **SETTINGS["C"]},
    # The MSN paper's protocol as its text states it (Eq. 11): the WGAN objective for every critic,
    # MSN at every layer, the SNGAN paper's setting A.
    "wgan-gp-paper": {"norm": "bn", "loss": "wgan", "gp": True, **SETTINGS["A"]},
    "sngan-paper": {"norm": "sn", "loss": "wgan", "gp": False, **SETTINGS["A"]},
    "msngan-paper": {"norm": "msn", "loss": "wgan", "gp": False, **SETTINGS["A"]},
    # The WGAN-GP paper's own critic: layer norm, which keeps the penalty per sample.
    "wgan-gp-ln": {"norm": "ln", "loss": "wgan", "gp": True, **SETTINGS["C"]},
}

LR_DECAYS = ("none", "linear")
D_PASSES = ("separate", "joint")
D_ARCHS = ("standard", "separable")
PRECISIONS = ("fp32", "bf16", "fp16")


def _opt(default: Any, help: str, resumable: bool = False, choices: Any = None) -> Any:
    return field(default=default, metadata={"help": help, "resumable": resumable, "choices": choices})


def _losses():
    from gans.losses import LOSSES

    return LOSSES


def _norm_help() -> str:
    from gans.models.norms import NORMS

    return ("Discriminator normalization, NAME[:key=value,...]: " + ", ".join(NORMS)
            + " (e.g. msn:layers=seed; see the README's norm table).")


@dataclass
class TrainConfig:
    preset: str = _opt("sngan", "System: critic norm, loss, penalty and optimizer together.", choices=lambda: PRESETS)
    label: str = _opt("", "Name of this system in run names, reports and wandb groups, for a preset with "
                          "changed flags (e.g. sngan-wgan). [default: the preset]")
    setting: str = _opt("", "SNGAN-paper optimizer setting (lr, betas, n-critic) instead of the preset's.",
                        choices=lambda: SETTINGS)
    norm: str = _opt("sn", _norm_help)
    d_arch: str = _opt("standard", "Critic architecture: standard convs, or depthwise-separable ones (for dsn).",
                       choices=lambda: D_ARCHS)
    g_norm: str = _opt("bn", "Generator normalization (same syntax as --norm).")
    loss: str = _opt("hinge", "Adversarial objective.", choices=_losses)
    gp: bool = _opt(False, "Add the WGAN-GP gradient penalty.")
    gp_weight: float = _opt(10.0, "Penalty weight lambda.")
    d_pass: str = _opt("separate", "How the critic sees a step's real and fake images: two batches, or one "
                                   "joint batch (one set of BN/MSN batch statistics).", choices=lambda: D_PASSES)
    steps: int = _opt(100_000, "Generator steps.", resumable=True)
    batch_size: int = _opt(64, "Batch size.")
    n_critic: int = _opt(1, "Critic steps per generator step.")
    lr: float = _opt(2e-4, "Adam learning rate (both networks).")
    betas: tuple[float, float] = _opt((0.5, 0.999), "Adam betas, e.g. --betas 0.5 0.9.")
    lr_decay: str = _opt("none", "Learning-rate schedule.", choices=lambda: LR_DECAYS)
    width: float = _opt(1.0, "Channel multiplier (1.0 = the paper's net).")
    z_dim: int = _opt(128, "Latent size.")
    image_size: int = _opt(32, "Image side, a multiple of 8.")
    channels: int = _opt(3, "Image channels.")
    dataset: str = _opt("shapes", "shapes (built-in, offline), cifar10, cifar10-test, FILE.npz or IMAGE_FOLDER; "
                                  "[START:STOP] takes a slice, e.g. data.npz[:4000].")
    data_dir: str = _opt("data", "Where cifar10 is (or is downloaded to).", resumable=True)
    out: str = _opt("", "Run directory. [default: runs/PRESET-seedSEED]")
    seed: int = _opt(0, "Seed for weights, noise and data order.")
    device: str = _opt("auto", "auto, cpu, cuda or cuda:N.", resumable=True)
    deterministic: bool = _opt(False, "torch.use_deterministic_algorithms (bitwise-repeatable, slower on GPU).")
    ema_decay: float = _opt(0.0, "Keep an exponential moving average of the generator (weights and buffers) with "
                                 "this decay, e.g. 0.9999 as StudioGAN; sampling and evaluation use it (0: off).")
    precision: str = _opt("fp32", "Mixed precision for G and D (autocast); fp16 adds a gradient scaler.",
                          resumable=True, choices=lambda: PRECISIONS)
    compile: bool = _opt(False, "torch.compile the networks (falls back to eager with a note if it fails).",
                         resumable=True)
    channels_last: bool = _opt(False, "channels-last memory layout for G and D (faster convs on many CPUs and GPUs).",
                               resumable=True)
    sync_norm: bool = _opt(False, "With several processes, BN and MSN batch statistics over the whole batch.")
    checkpoint_every: int = _opt(1000, "Checkpoint period in steps.", resumable=True)
    sample_every: int = _opt(500, "Sample-grid period in steps.", resumable=True)
    log_every: int = _opt(10, "Metrics period in steps.", resumable=True)
    keep: int = _opt(3, "Checkpoints kept.", resumable=True)
    rollback: int = _opt(0, "On divergence, reload the last checkpoint at half the learning rate, up to N "
                            "times (0: stop).", resumable=True)
    eval_every: int = _opt(0, "Score FID (and IS, KID) every N steps into eval.jsonl and keep checkpoints/best.pt, "
                              "the best by FID (0: never).", resumable=True)
    eval_samples: int = _opt(1000, "Generated images per training-time evaluation (fixed latents).")
    eval_reference: str = _opt("", "Reference for training-time FID (as in gans eval). [default: the training data]")
    eval_reference_count: int = _opt(0, "First N reference images (0: all).")
    diagnose_every: int = _opt(0, "Measure the critic every N steps into diagnostics.jsonl: mean drift, gradient "
                                  "sparsity and variance, singular values, Lipschitz estimate (0: never).",
                               resumable=True)
    inception_weights: str = _opt("", "Inception weight file for --eval-every (see gans eval --help). "
                                      "[default: $GANS_INCEPTION_WEIGHTS, else found or downloaded]", resumable=True)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["betas"] = list(self.betas)
        return d

    @property
    def system(self) -> str:
        """What reports group seeds by: the label, else the preset."""
        return self.label or self.preset

    @property
    def run_name(self) -> str:
        return f"{self.system}-seed{self.seed}"


FIELDS = {f.name: f for f in fields(TrainConfig)}
RESUMABLE = frozenset(n for n, f in FIELDS.items() if f.metadata["resumable"])
_POSITIVE_INT = ("steps", "batch_size", "n_critic", "z_dim", "image_size", "channels",
                 "checkpoint_every", "sample_every", "log_every", "keep")
_POSITIVE_FLOAT = ("lr", "width")


def flag(name: str) -> str:
    """The flag of a field: n_critic -> --n-critic."""
    return "--" + name.replace("_", "-")


def field_name(key: str) -> str:
    """A flag, TOML key or field name -> the field name: --n-critic, n-critic -> n_critic."""
    return key.lstrip("-").replace("-", "_")


def help_text(name: str) -> str:
    """A field's help with its default, for the CLI."""
    f = FIELDS[name]
    text = f.metadata["help"]() if callable(f.metadata["help"]) else f.metadata["help"]
    if "[default:" in text or f.type == "bool":
        return text
    default = " ".join(map(str, f.default)) if isinstance(f.default, tuple) else f.default
    return f"{text} [default: {default if default != '' else 'none'}]"


def choices(name: str) -> list[str] | None:
    c = FIELDS[name].metadata["choices"]
    return list(c()) if c else None


def _coerce(name: str, value: Any, source: str) -> Any:
    """Check a value's type against the field; TOML gives ints where floats are meant, allow that."""
    kind = FIELDS[name].type
    bad = UserError(f"{source}: {flag(name)} must be {kind}, got {value!r}")
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        return float(value)
    if kind == "str":
        if not isinstance(value, str):
            raise bad
        return value
    # betas
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in value)):
        raise UserError(f"{source}: {flag(name)} must be two numbers like [0.5, 0.9], got {value!r}")
    return (float(value[0]), float(value[1]))


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML config whose keys are the flag names (dashes or underscores)."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"config file {p} does not exist; pass an existing TOML file to --config")
    try:
        raw = tomllib.loads(p.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"config file {p} is not valid TOML ({e}); fix the file") from None
    out = {}
    for k, v in raw.items():
        name = field_name(k)
        if name not in FIELDS:
            raise UserError(f"config file {p}: unknown key {k!r}; valid keys: "
                            + ", ".join(n.replace('_', '-') for n in FIELDS))
        out[name] = _coerce(name, v, f"config file {p}")
    return out


def resolve(flags: dict[str, Any], config_file: str | Path | None = None) -> TrainConfig:
    """Merge defaults, presets, a config file and flags (None values mean "not given")."""
    given = {field_name(k): v for k, v in flags.items() if v is not None}
    from_file = read_config_file(config_file) if config_file else {}
    chosen = {**from_file, **given}
    preset = chosen.get("preset", TrainConfig.preset)
    setting = chosen.get("setting", TrainConfig.setting)
    if preset not in PRESETS:
        raise UserError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    if setting and setting not in SETTINGS:
        raise UserError(f"unknown setting {setting!r}; choose one of {', '.join(SETTINGS)}")
    values = {**PRESETS[preset], **SETTINGS.get(setting, {}), **chosen}
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise UserError(f"unknown option {flag(unknown[0])}; see gans train --help")
    cfg = TrainConfig(**{k: _coerce(k, v, "flag " + flag(k)) for k, v in values.items()})
    validate(cfg)
    if not cfg.out:
        cfg.out = str(Path("runs") / cfg.run_name)
    return cfg


def resume_config(saved: dict[str, Any], changes: dict[str, Any], run_dir: str | Path) -> TrainConfig:
    """A checkpoint's config with the changes a resume may make; any other change is refused,
    since it would silently fork the run."""
    changes = {field_name(k): v for k, v in changes.items() if v is not None}
    frozen = sorted(k for k in changes if k not in RESUMABLE and k in FIELDS and changes[k] != saved.get(k))
    if frozen:
        raise UserError(f"--resume cannot change {', '.join(flag(k) for k in frozen)} "
                        f"(only {', '.join(flag(k) for k in sorted(RESUMABLE))}); start a new run to change them")
    known = {k: v for k, v in saved.items() if k in FIELDS}
    return resolve({**known, **changes, "out": str(run_dir)})


def validate(cfg: TrainConfig) -> None:
    from gans.models.norms import get_norm

    for name in ("norm", "g_norm"):
        try:
            get_norm(getattr(cfg, name))
        except ValueError as e:
            raise UserError(f"{flag(name)}: {e}") from None
    for name in ("loss", "lr_decay", "d_pass", "d_arch", "precision"):
        allowed = choices(name)
        if getattr(cfg, name) not in allowed:
            raise UserError(f"unknown {flag(name)} {getattr(cfg, name)!r}; choose one of {', '.join(allowed)}")
    for name in _POSITIVE_INT + _POSITIVE_FLOAT:
        if not getattr(cfg, name) > 0:
            raise UserError(f"{flag(name)} must be > 0, got {getattr(cfg, name)}")
    for name in ("lr", "gp_weight", "width", "ema_decay", "betas"):
        values = getattr(cfg, name) if name == "betas" else (getattr(cfg, name),)
        if not all(math.isfinite(v) for v in values):
            raise UserError(f"{flag(name)} must be a finite number, got {getattr(cfg, name)}")
    for name in ("rollback", "eval_every", "eval_reference_count", "diagnose_every"):
        if getattr(cfg, name) < 0:
            raise UserError(f"{flag(name)} must be >= 0, got {getattr(cfg, name)}")
    if cfg.eval_samples < 10:
        raise UserError(f"--eval-samples must be >= 10 (the Inception Score's 10 splits), got {cfg.eval_samples}")
    if not 0 <= cfg.ema_decay < 1:
        raise UserError(f"--ema-decay must lie in [0, 1), got {cfg.ema_decay}")
    if cfg.gp_weight < 0:
        raise UserError(f"--gp-weight must be >= 0, got {cfg.gp_weight}")
    if not all(0 <= b < 1 for b in cfg.betas):
        raise UserError(f"--betas must both lie in [0, 1), got {list(cfg.betas)}")
    if cfg.image_size % 8:
        raise UserError(f"--image-size must be a multiple of 8, got {cfg.image_size}")
    if cfg.device not in ("auto", "cpu") and not cfg.device.startswith("cuda"):
        raise UserError(f"unknown --device {cfg.device!r}; use auto, cpu or cuda[:N]")


def to_toml(cfg: TrainConfig) -> str:
    """The resolved config as TOML, keys spelled like the flags; ``out`` is left out, since a copy of
    the file should not point back at this run's directory."""
    lines = ["# Resolved config of this run; `gans train --config THIS_FILE --out NEW_DIR` repeats it."]
    for k, v in cfg.to_dict().items():
        if k != "out":
            lines.append(f"{k.replace('_', '-')} = {json.dumps(v)}")  # JSON scalars/arrays are valid TOML
    return "\n".join(lines) + "\n"


def from_dict(d: dict[str, Any]) -> TrainConfig:
    """Rebuild a saved config (a checkpoint's, or config.toml's keys), ignoring keys a newer version
    may have added."""
    known = {field_name(k): v for k, v in d.items() if field_name(k) in FIELDS}
    if "betas" in known:
        known["betas"] = tuple(known["betas"])
    return TrainConfig(**known)
