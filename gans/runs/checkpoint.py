"""Checkpoints: atomic writes, safe loads, and finding the latest one in a run directory.

A checkpoint is a dict of tensors and plain Python values, so it loads with
``torch.load(weights_only=True)``: a crafted file cannot run code when loaded.
"""
from __future__ import annotations

import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gans.core.errors import UserError
from gans.core.files import write_atomic

FORMAT = "gans-checkpoint"
VERSION = 1
CKPT_DIR = "checkpoints"
BEST = "best.pt"  # the best by training-time FID; never pruned
_NAME = re.compile(r"^ckpt_(\d+)\.pt$")


def checkpoint_path(run_dir: str | Path, step: int) -> Path:
    return Path(run_dir) / CKPT_DIR / f"ckpt_{step:08d}.pt"


def save_atomic(obj: Any, path: str | Path) -> Path:
    """torch.save through :func:`write_atomic`."""
    return write_atomic(path, lambda f: torch.save(obj, f))


def list_checkpoints(run_dir: str | Path) -> list[tuple[int, Path]]:
    folder = Path(run_dir) / CKPT_DIR
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return sorted(found)


def latest(run_dir: str | Path) -> Path | None:
    found = list_checkpoints(run_dir)
    return found[-1][1] if found else None


def prune(run_dir: str | Path, keep: int, protect: tuple[Path, ...] = ()) -> None:
    """Delete all but the newest ``keep`` checkpoints (never one listed in ``protect``)."""
    for _, p in list_checkpoints(run_dir)[:-keep]:
        if p not in protect:
            p.unlink(missing_ok=True)


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint file as given, or the latest checkpoint of a run directory."""
    p = Path(path)
    if p.is_dir():
        found = list_checkpoints(p)
        if not found:
            raise UserError(f"{p} has no checkpoints (expected {p / CKPT_DIR}/ckpt_*.pt); "
                            "pass a run directory that has trained past --checkpoint-every")
        return found[-1][1]
    if not p.is_file():
        raise UserError(f"checkpoint {p} does not exist; pass a run directory or a ckpt_*.pt file")
    return p


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load safely; anything that is not a complete gans checkpoint is a one-line UserError."""
    p = resolve_checkpoint(path)
    try:
        ckpt = torch.load(p, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        # torch's own text advises weights_only=False, the unsafe way out; name only what was refused
        refused = re.search(r"(?i)unsupported:? GLOBAL ([\w.]+)", str(e))
        what = f"it references {refused.group(1)}" if refused else "it is not a torch checkpoint"
        raise UserError(f"{p} was refused by the safe loader ({what}; nothing in it was executed); "
                        "pass a checkpoint written by gans") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as e:
        raise UserError(f"{p} is truncated or corrupt ({type(e).__name__}); "
                        "use an earlier checkpoint from the same run") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise UserError(f"{p} is not a gans checkpoint; pass a file written by `gans train`")
    missing = [k for k in ("step", "config", "G", "D") if k not in ckpt]
    if missing:
        raise UserError(f"{p} is missing {', '.join(missing)}; it is not a complete gans checkpoint")
    return ckpt


def load_weights(module: nn.Module, state: dict[str, Any], what: str, path: str | Path) -> None:
    """load_state_dict with a one-line error naming what does not match."""
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}" for k, v in own.items()
              if k in state and hasattr(state[k], "shape") and state[k].shape != v.shape]

    def few(xs: list[str]) -> str:
        return ", ".join(xs[:3]) + (f" (+{len(xs) - 3} more)" if len(xs) > 3 else "")

    problems = []
    if missing:
        problems.append(f"missing keys {few(missing)}")
    if unexpected:
        problems.append(f"unexpected keys {few(unexpected)}")
    if shapes:
        problems.append(f"shape mismatches {few(shapes)}")
    if problems:
        raise UserError(f"{path}: {what} weights do not fit this model ({'; '.join(problems)}); "
                        "the checkpoint is from another architecture, width or normalization")
    module.load_state_dict(state)
