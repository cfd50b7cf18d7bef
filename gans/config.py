"""Training configuration: defaults < system preset < optimizer setting < config file < flags.

A run directory's ``config.toml`` holds the fully resolved config, so
``gans train --config RUN/config.toml`` reproduces the run.
"""
from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from gans.errors import UserError

# The MSN paper's comparison (Subramanian & Chong 2019) plus the WGAN-GP paper's own critic.
SYSTEMS: dict[str, dict[str, Any]] = {
    "wgan-gp": {"norm": "bn", "loss": "wgan", "gp": True},
    "wgan-gp-ln": {"norm": "ln", "loss": "wgan", "gp": True},
    "sngan": {"norm": "sn", "loss": "wgan", "gp": False},
    "msngan": {"norm": "msn", "loss": "wgan", "gp": False},
}

# Optimizer settings A-F of the SNGAN paper (Miyato et al. 2018, Table 1).
SETTINGS: dict[str, dict[str, Any]] = {
    "A": {"lr": 1e-4, "betas": (0.5, 0.9), "n_critic": 5},
    "B": {"lr": 1e-4, "betas": (0.5, 0.999), "n_critic": 1},
    "C": {"lr": 2e-4, "betas": (0.5, 0.999), "n_critic": 1},
    "D": {"lr": 1e-3, "betas": (0.5, 0.9), "n_critic": 5},
    "E": {"lr": 1e-3, "betas": (0.5, 0.999), "n_critic": 5},
    "F": {"lr": 1e-3, "betas": (0.9, 0.999), "n_critic": 5},
}

LR_DECAYS = ("none", "linear")


@dataclass
class TrainConfig:
    preset: str = "sngan"
    setting: str = "A"
    norm: str = "sn"
    g_norm: str = "bn"
    loss: str = "wgan"
    gp: bool = False
    gp_weight: float = 10.0
    steps: int = 100_000
    batch_size: int = 64
    n_critic: int = 5
    lr: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.9)
    lr_decay: str = "none"
    width: float = 1.0
    z_dim: int = 128
    image_size: int = 32
    channels: int = 3
    dataset: str = "shapes"
    data_dir: str = "data"
    out: str = ""
    seed: int = 0
    device: str = "auto"
    deterministic: bool = False
    checkpoint_every: int = 1000
    sample_every: int = 500
    log_every: int = 10
    keep: int = 3
    rollback: int = 0
    eval_every: int = 0
    eval_samples: int = 1000
    eval_reference: str = ""
    eval_reference_count: int = 0
    inception_weights: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["betas"] = list(self.betas)
        return d

    @property
    def run_name(self) -> str:
        return f"{self.preset}-seed{self.seed}"


_FIELDS = {f.name: f for f in fields(TrainConfig)}
_POSITIVE_INT = ("steps", "batch_size", "n_critic", "z_dim", "image_size", "channels",
                 "checkpoint_every", "sample_every", "log_every", "keep")
_POSITIVE_FLOAT = ("lr", "width")


def _key(name: str) -> str:
    return name.replace("-", "_")


def _coerce(name: str, value: Any, source: str) -> Any:
    """Check a value's type against the field; TOML gives ints where floats are meant, allow that."""
    kind = _FIELDS[name].type
    flag = "--" + name.replace("_", "-")
    bad = UserError(f"{source}: {flag} must be {kind}, got {value!r}")
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
        raise UserError(f"{source}: {flag} must be two numbers like [0.5, 0.9], got {value!r}")
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
        name = _key(k)
        if name not in _FIELDS:
            raise UserError(f"config file {p}: unknown key {k!r}; valid keys: "
                            + ", ".join(n.replace('_', '-') for n in _FIELDS))
        out[name] = _coerce(name, v, f"config file {p}")
    return out


def resolve(flags: dict[str, Any], config_file: str | Path | None = None) -> TrainConfig:
    """Merge defaults, presets, a config file and flags (None values mean "not given")."""
    given = {_key(k): v for k, v in flags.items() if v is not None}
    from_file = read_config_file(config_file) if config_file else {}
    chosen = {**from_file, **given}
    preset = chosen.get("preset", TrainConfig.preset)
    setting = chosen.get("setting", TrainConfig.setting)
    if preset not in SYSTEMS:
        raise UserError(f"unknown preset {preset!r}; choose one of {', '.join(SYSTEMS)}")
    if setting not in SETTINGS:
        raise UserError(f"unknown setting {setting!r}; choose one of {', '.join(SETTINGS)}")
    values = {**SYSTEMS[preset], **SETTINGS[setting], **chosen}
    for k, v in values.items():
        values[k] = _coerce(k, v, "flag --" + k.replace("_", "-")) if k in _FIELDS else v
    cfg = TrainConfig(**values)
    validate(cfg)
    if not cfg.out:
        cfg.out = str(Path("runs") / cfg.run_name)
    return cfg


def validate(cfg: TrainConfig) -> None:
    from losses import LOSSES
    from models.norms import NORMS

    for name, table in (("norm", NORMS), ("g_norm", NORMS), ("loss", LOSSES)):
        value = getattr(cfg, name)
        if value not in table:
            flag = "--" + name.replace("_", "-")
            raise UserError(f"unknown {flag} {value!r}; choose one of {', '.join(table)}")
    for name in _POSITIVE_INT + _POSITIVE_FLOAT:
        if not getattr(cfg, name) > 0:
            raise UserError(f"--{name.replace('_', '-')} must be > 0, got {getattr(cfg, name)}")
    for name in ("rollback", "eval_every", "eval_reference_count"):
        if getattr(cfg, name) < 0:
            raise UserError(f"--{name.replace('_', '-')} must be >= 0, got {getattr(cfg, name)}")
    if cfg.eval_samples < 10:
        raise UserError(f"--eval-samples must be >= 10 (the Inception Score's 10 splits), got {cfg.eval_samples}")
    if cfg.gp_weight < 0:
        raise UserError(f"--gp-weight must be >= 0, got {cfg.gp_weight}")
    if not all(0 <= b < 1 for b in cfg.betas):
        raise UserError(f"--betas must both lie in [0, 1), got {list(cfg.betas)}")
    if cfg.lr_decay not in LR_DECAYS:
        raise UserError(f"unknown --lr-decay {cfg.lr_decay!r}; choose one of {', '.join(LR_DECAYS)}")
    if cfg.image_size % 8:
        raise UserError(f"--image-size must be a multiple of 8, got {cfg.image_size}")
    if cfg.device not in ("auto", "cpu") and not cfg.device.startswith("cuda"):
        raise UserError(f"unknown --device {cfg.device!r}; use auto, cpu or cuda[:N]")


def to_toml(cfg: TrainConfig) -> str:
    """The resolved config as TOML, keys spelled like the flags."""
    lines = ["# Resolved config of this run; `gans train --config THIS_FILE` reproduces it."]
    for k, v in cfg.to_dict().items():
        lines.append(f"{k.replace('_', '-')} = {json.dumps(v)}")  # JSON scalars/arrays are valid TOML
    return "\n".join(lines) + "\n"


def from_dict(d: dict[str, Any]) -> TrainConfig:
    """Rebuild a config saved in a checkpoint, ignoring keys a newer version may have added."""
    known = {k: v for k, v in d.items() if k in _FIELDS}
    if "betas" in known:
        known["betas"] = tuple(known["betas"])
    return TrainConfig(**known)
