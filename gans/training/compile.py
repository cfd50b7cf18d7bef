"""--compile: the torch.compile'd callables the trainer's steps run, and the fall-back to eager when
compiling fails."""
from __future__ import annotations

import copy
from typing import Any, Protocol

import torch


class Steps(Protocol):
    """What the fall-back uses of the trainer (a protocol, so this module needs no import of it)."""

    G: torch.nn.Module
    D: torch.nn.Module
    g_fwd: Any
    d_fwd: Any
    compile_checked: bool

    def say(self, line: str) -> None: ...
    def train_step(self) -> dict[str, torch.Tensor]: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def compiled(G: torch.nn.Module, D: torch.nn.Module, enabled: bool) -> tuple[Any, Any]:
    """The callables the steps run: torch.compile'd modules with --compile, else the modules. The
    modules themselves stay as they are (checkpoints hold their state dicts, not the wrappers')."""
    if not enabled:
        return G, D
    return torch.compile(G), torch.compile(D)


def first_compiled_step(trainer: Steps) -> dict[str, torch.Tensor]:
    """torch.compile fails, if it does, at the first call: then say so in one line, put the step's
    state back, and go on eagerly."""
    trainer.compile_checked = True
    before = copy.deepcopy(trainer.state_dict())
    try:
        return trainer.train_step()
    except Exception as e:  # inductor and dynamo raise many kinds
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
        trainer.say(f"note: torch.compile failed ({type(e).__name__}: {first}); continuing without --compile")
        trainer.load_state_dict(before)
        trainer.g_fwd, trainer.d_fwd = trainer.G, trainer.D
        return trainer.train_step()
