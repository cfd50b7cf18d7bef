"""Resolving a run's config: defaults < preset < optimizer setting < config file < flags, checked
once; and its round trip through ``config.toml`` (the resolved config without ``out``, so
``gans train --config RUN/config.toml --out NEW`` repeats the run).
"""
from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any

from gans.config.options import (CHANNELS_LAST_BY_DEVICE, CUDA_GRAPH_BY_DEVICE, FIELDS, POSITIVE_FLOAT,
                                 POSITIVE_INT, RESUMABLE, TrainConfig, choices, field_name, flag)
from gans.config.presets import PRESETS, SETTINGS
from gans.core.errors import UserError


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
    kind = device_type(values.get("device", TrainConfig.device))
    # recorded resolved, so config.toml and checkpoints say which layout and step ran
    values.setdefault("channels_last", CHANNELS_LAST_BY_DEVICE[kind])
    values.setdefault("cuda_graph", CUDA_GRAPH_BY_DEVICE[kind])
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
    known.setdefault("channels_last", False)  # saved before the field existed: those runs were contiguous
    known.setdefault("cuda_graph", False)  # likewise: those runs stepped eagerly
    return resolve({**known, **changes, "out": str(run_dir)})


def device_type(device: str) -> str:
    """The kind of device --device names: cuda for cuda[:N], and for auto when a GPU is visible
    (as gans.runs.networks.pick_device decides); else cpu."""
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return "cuda" if str(device).startswith("cuda") else "cpu"


def validate(cfg: TrainConfig) -> None:
    from gans.models.norms import get_norm

    for name in ("norm", "g_norm"):
        try:
            get_norm(getattr(cfg, name))
        except ValueError as e:
            raise UserError(f"{flag(name)}: {e}") from None
    for name in ("loss", "lr_decay", "d_pass", "arch", "d_arch", "init", "g_init", "precision"):
        allowed = choices(name)
        if name == "g_init" and not cfg.g_init:  # unset: the generator takes --init's
            continue
        if getattr(cfg, name) not in allowed:
            raise UserError(f"unknown {flag(name)} {getattr(cfg, name)!r}; choose one of {', '.join(allowed)}")
    for name in POSITIVE_INT + POSITIVE_FLOAT:
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
    if cfg.arch == "resnet" and (cfg.d_arch != "standard" or cfg.norm.split(":")[0] == "dsn"):
        raise UserError("--arch resnet has no depthwise-separable critic; use --arch dcgan for --d-arch separable / dsn")
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
