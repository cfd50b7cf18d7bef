"""What the GPU session's sections share: where ../shared is, the training data, timing helpers, and
the project's training step as the sections build it."""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from gans.data.shapes import make_shapes
from gans.training.cuda_graph import TrainingStep
from gans.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]


def shared(*parts: str) -> Path:
    """A file of ./shared (what travels to a lent machine) or else of ../shared, beside the checkout."""
    inside = ROOT.joinpath("shared", *parts)
    return inside if inside.exists() else ROOT.parent.joinpath("shared", *parts)


SUBSET = shared("data", "cifar10_train_subset.npz")


def images() -> torch.Tensor:
    return torch.from_numpy(np.load(SUBSET)["x"]) if SUBSET.exists() else make_shapes(1024)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def spread(xs: list[float], fmt: str = ".2f") -> str:
    return f"{statistics.median(xs):{fmt}} [{min(xs):{fmt}}-{max(xs):{fmt}}]"


def first_line(e: BaseException) -> str:
    return f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]}"


def train_flags(args: argparse.Namespace, out: str, **extra) -> dict:
    return {"preset": "sngan", "n_critic": args.n_critic, "width": args.width, "batch_size": args.batch,
            "device": args.device, "out": out, "channels_last": False, "precision": "fp32", "cuda_graph": False,
            **extra}


def training_step(t: Trainer) -> tuple[TrainingStep, Callable[[], str]]:
    """The step Trainer.fit calls (with --cuda-graph, the captured one) and what became of the graph."""
    said: list[str] = []
    t.say = said.append  # TrainingStep's one line when it runs the step eagerly

    def graph() -> str:
        if not t.cfg.cuda_graph:
            return ""
        if step.static is not None and step.static.graph is not None:
            return "captured"
        why = said[0] if said else "no graph"
        return f"NOT CAPTURED ({why})" if t.device.type == "cuda" else f"not captured ({why})"
    step = TrainingStep(t)
    return step, graph


def describe(dev: torch.device) -> str:
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if dev.type == "cuda":
        name = f"{torch.cuda.get_device_name(dev)}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}"
    else:
        name = f"cpu ({os.cpu_count()} cores, {torch.get_num_threads()} threads)"
    return (f"device: {name}; torch {torch.__version__}; commit {commit.stdout.strip() or 'unknown'}; "
            f"data: {SUBSET if SUBSET.exists() else 'built-in shapes'}")
