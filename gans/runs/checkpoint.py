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
from gans.runs.layout import CKPT_DIR, RunLayout, run_dir_of, step_of

FORMAT = "gans-checkpoint"
VERSION = 1


class CorruptCheckpoint(UserError):
    """A checkpoint that does not load (a kill or a full disk cut it short); ``previous`` is the
    newest earlier checkpoint of the same run that does, when there is one."""

    def __init__(self, path: Path, cause: str, previous: Path | None) -> None:
        self.path, self.cause, self.previous = path, cause, previous
        fix = (f"use the previous good checkpoint {previous}" if previous else
               "no earlier checkpoint of this run loads")
        super().__init__(f"{path} is truncated or corrupt ({cause}); {fix}")


def save_atomic(obj: Any, path: str | Path) -> Path:
    """torch.save through :func:`write_atomic`."""
    return write_atomic(path, lambda f: torch.save(obj, f))


def list_checkpoints(run_dir: str | Path) -> list[tuple[int, Path]]:
    """(step, path) of the run's ckpt_N.pt files, oldest first."""
    return RunLayout(run_dir).checkpoint_files()


def latest(run_dir: str | Path) -> Path | None:
    found = list_checkpoints(run_dir)
    return found[-1][1] if found else None


def prune(run_dir: str | Path, keep: int, protect: tuple[Path, ...] = ()) -> None:
    """Delete all but the newest ``keep`` checkpoints (never one listed in ``protect``)."""
    for _, p in list_checkpoints(run_dir)[:-keep]:
        if p not in protect:
            p.unlink(missing_ok=True)


def set_aside_after(run_dir: str | Path, step: int, folder: Path) -> list[int]:
    """Move the checkpoints of steps after ``step`` into ``folder`` (a resume from an earlier
    checkpoint abandons them: left in place, the new run's saves would replace them and a later
    resume would continue the abandoned run). Returns their steps."""
    later = [(s, p) for s, p in list_checkpoints(run_dir) if s > step]
    best = RunLayout(run_dir).best
    best_state = peek(best) if best.is_file() else None  # an unreadable one is not this function's to judge
    if best_state is not None and int(best_state["step"]) > step:
        later.append((int(best_state["step"]), best))  # the best of the abandoned steps: the new run's best replaces it
    if later:
        folder.mkdir(parents=True, exist_ok=True)
    for _, p in later:
        p.rename(folder / p.name)
    return sorted({s for s, _ in later})


def peek(path: str | Path) -> dict[str, Any] | None:
    """A checkpoint's entries with its tensors memory-mapped, not read (its step or config without
    the cost of a load); None when the file does not open as a gans checkpoint."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # a damaged file fails in many ways; any of them means "not this one"
        return None
    return state if isinstance(state, dict) and state.get("format") == FORMAT else None


def previous_good(path: Path) -> Path | None:
    """The newest checkpoint of ``path``'s run before it that loads (None outside a run)."""
    run_dir, step = run_dir_of(path), step_of(path)
    if run_dir is None:
        return None
    earlier = [p for s, p in list_checkpoints(run_dir) if p != path and (step is None or s < step)]
    return next((p for p in reversed(earlier) if peek(p) is not None), None)


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
        raise CorruptCheckpoint(p, type(e).__name__, previous_good(p)) from None
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
