"""The train section: the project's whole training step every way (eager, bf16, channels-last,
--cuda-graph) and gpu_limit.py's reference, taking turns in blocks."""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import statistics
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from gans.config import resolve
from gans.core.errors import UserError
from gans.training.cuda_graph import WARMUP
from gans.training.trainer import Trainer
from gpu.common import first_line, images, spread, sync, train_flags, training_step


@dataclass
class Way:
    name: str
    step: Callable[[], object] | None  # one whole training step; None: not run (note says why)
    note: str = ""
    finite: Callable[[], bool] = lambda: True
    param: torch.Tensor | None = None  # a weight: the timed steps must move it
    graph: Callable[[], str] = lambda: ""  # what became of --cuda-graph: "" (not asked), captured, or why not
    ms: list[float] = field(default_factory=list)
    keep: object = None  # a graph replays into its models' memory: they must outlive the timing


def trainer_way(name: str, args: argparse.Namespace, data: torch.Tensor, out: str, **extra) -> Way:
    try:
        t = Trainer(resolve(train_flags(args, out, **extra)), images=data)
    except UserError as e:  # an option this device refuses: a row saying so, not a failure
        return Way(name, None, f"not run: {e}")
    step, graph = training_step(t)
    for _ in range(max(args.warmup, WARMUP + 1)):  # the graph is recorded after WARMUP eager steps
        step()
    return Way(name, step, finite=lambda: not bool(t.diverged), param=next(t.D.parameters()), graph=graph, keep=t)


@contextlib.contextmanager
def cudnn_benchmark():
    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = before


def reference_ways(path: Path, args: argparse.Namespace, data: torch.Tensor, dev: torch.device) -> list[Way]:
    if not path.is_file():
        return [Way("reference (gpu_limit.py)", None, f"not run: {path} is absent")]
    spec = importlib.util.spec_from_file_location("gpu_limit", path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    pool = data.to(dev).float().div(127.5).sub(1)
    k, b = args.n_critic, args.batch

    def fresh() -> torch.Tensor:
        return pool[torch.randint(0, len(pool), (k * b,), device=dev)].view(k, b, *pool.shape[1:])

    ways = []
    for name, graph, bf16 in (("reference eager", False, False), ("reference graph", True, False),
                              ("reference graph + bf16", True, True)):
        if graph and dev.type != "cuda":
            ways.append(Way(name, None, "not run: CUDA graphs need a CUDA device"))
            continue
        with cudnn_benchmark():
            G, D, og, od = ref.make(0, args.width, str(dev), graph)
            real = fresh()
            step = ref.step_fn(G, D, og, od, real, k, b, bf16)
            if not graph:
                last = list(step())
            else:  # warmed on a side stream only, as its main() does: a first step on the default stream
                # kept autograd nodes of that stream alive, and on an H200 (torch 2.11) the capture then
                # failed ("would make the legacy stream depend on a capturing blocking stream") and left
                # the CUDA generator mid-capture, so every later step of the section failed too
                s = torch.cuda.Stream(dev)
                s.wait_stream(torch.cuda.current_stream(dev))
                with torch.cuda.stream(s):
                    for _ in range(3):
                        step()
                torch.cuda.current_stream(dev).wait_stream(s)
                g = torch.cuda.CUDAGraph()
                with torch.cuda.graph(g):
                    last = list(step())

        def run(step=step, real=real, last=last, g=g if graph else None) -> None:
            with cudnn_benchmark():
                real.copy_(fresh())
                if g is not None:
                    g.replay()
                else:
                    last[:] = step()
        for _ in range(args.warmup):
            run()
        ways.append(Way(name, run, finite=lambda last=last: all(bool(torch.isfinite(x)) for x in last),
                        param=next(D.parameters()), keep=(G, D, og, od, real, step, run)))
    return ways


def rotate(ways: list[Way], args: argparse.Namespace, dev: torch.device, deadline: float) -> int:
    """Blocks of --steps steps, every way in turn, for --pairs rounds or until the deadline (>= 1 round)."""
    live = [w for w in ways if w.step]
    before = {id(w): w.param.detach().clone() for w in live if w.param is not None}
    rounds = 0
    for rounds in range(1, args.pairs + 1):
        if rounds > 1 and time.monotonic() > deadline:
            rounds -= 1
            print(f"note: budget reached after {rounds} of {args.pairs} rounds")
            break
        for w in live:
            sync(dev)
            t = time.perf_counter()
            for _ in range(args.steps):
                w.step()
            sync(dev)
            w.ms.append((time.perf_counter() - t) * 1e3 / args.steps)
    for w in live:
        moved = w.param is None or not torch.equal(before[id(w)], w.param.detach())
        checks = ["finite" if w.finite() else "NOT FINITE", "weights moved" if moved else "WEIGHTS DID NOT MOVE", w.graph()]
        w.note = ", ".join(c for c in checks if c)
    return rounds


def train_section(args, dev, dry, deadline, tmp) -> list[str]:
    data, failures = images(), []
    ways = [trainer_way("eager (baseline)", args, data, f"{tmp}/eager")]
    if ways[0].step is None:
        raise RuntimeError(f"the eager baseline: {ways[0].note}")
    optional = [("eager + bf16", {"precision": "bf16"}), ("eager + channels-last", {"channels_last": True}),
                ("cuda-graph", {"cuda_graph": True}), ("cuda-graph + bf16", {"cuda_graph": True, "precision": "bf16"}),
                ("cuda-graph + channels-last", {"cuda_graph": True, "channels_last": True}),
                ("cuda-graph + bf16 + channels-last", {"cuda_graph": True, "precision": "bf16", "channels_last": True})]
    for name, extra in optional:
        try:
            ways.append(trainer_way(name, args, data, f"{tmp}/{len(ways)}", **extra))
        except Exception as e:  # noqa: BLE001 - one way's failure must not cost the session's other numbers
            traceback.print_exc()
            ways.append(Way(name, None, f"FAILED: {first_line(e)}"))
            failures.append(name)
    try:
        ways += reference_ways(Path(args.reference), args, data, dev)
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        ways.append(Way("reference (gpu_limit.py)", None, f"FAILED: {first_line(e)}"))
        failures.append("reference")
    rounds = rotate(ways, args, dev, deadline)
    failures += [w.name for w in ways if any(word in w.note for word in ("NOT FINITE", "DID NOT", "NOT CAPTURED"))]
    print(f"\nWhole training step, SNGAN standard CNN, width {args.width:g}, batch {args.batch}, n_critic "
          f"{args.n_critic}; {rounds} rounds of {args.steps} steps per way, taking turns; median [min-max]{dry}")
    print("| way | ms / step | ratio to eager | 100k steps (min) | checks |\n|---|---|---|---|---|")
    base = ways[0].ms
    for w in ways:
        if not w.ms:
            print(f"| {w.name} | - | - | - | {w.note} |")
            continue
        ratios = [m / b for m, b in zip(w.ms, base)]
        print(f"| {w.name} | {spread(w.ms, '.1f')} | {spread(ratios)} | "
              f"{statistics.median(w.ms) * 100_000 / 60_000:.1f} | {w.note} |")
    return failures
