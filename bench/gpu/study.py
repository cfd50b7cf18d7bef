"""The study section: N training runs at once on one device, as separate processes released together,
with and without NVIDIA's Multi-Process Service."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gans.config import resolve
from gans.training.cuda_graph import WARMUP
from gans.training.trainer import Trainer
from gpu.common import images, spread, sync, train_flags, training_step

SESSION = Path(__file__).resolve().parents[1] / "gpu_session.py"  # a study run is this script with --child


@contextlib.contextmanager
def mps_daemon():
    """NVIDIA's Multi-Process Service for the processes started inside (a private control daemon,
    pipe and log in a short /tmp folder: the pipe is a unix socket): their kernels may then run at
    once, where separate processes otherwise take turns on the GPU. Yields the children's
    environment; raises RuntimeError saying why where MPS is not available here."""
    exe = shutil.which("nvidia-cuda-mps-control")
    if exe is None:
        raise RuntimeError("nvidia-cuda-mps-control is not on PATH")
    folder = Path(tempfile.mkdtemp(prefix="mps-", dir="/tmp"))
    env = {**os.environ, "CUDA_MPS_PIPE_DIRECTORY": str(folder / "pipe"), "CUDA_MPS_LOG_DIRECTORY": str(folder / "log")}
    for sub in ("pipe", "log"):
        (folder / sub).mkdir()
    started = subprocess.run([exe, "-d"], env=env, capture_output=True, text=True, timeout=30)
    if started.returncode:
        raise RuntimeError(f"the MPS daemon did not start: {(started.stderr or started.stdout).strip()[:120]}")
    try:
        probe = subprocess.run([sys.executable, "-c", "import torch; print(torch.ones(2, device='cuda').sum().item())"],
                               env=env, capture_output=True, text=True, timeout=120)
        if probe.returncode:
            raise RuntimeError(f"a CUDA process under MPS failed: {(probe.stderr.strip().splitlines() or ['?'])[-1][:120]}")
        yield env
    finally:
        subprocess.run([exe], input="quit\n", env=env, capture_output=True, text=True, timeout=60)


def study_section(args, dev, dry, deadline, tmp: Path) -> list[str]:
    # MPS last: a daemon that fails to quit cannot change the other ways' rows
    ways = [("cuda-graph", {"cuda_graph": True}, False), ("eager", {}, False), ("cuda-graph + MPS", {"cuda_graph": True}, True)]
    rows, failures, single = [], [], {}
    for name, extra, mps in ways:
        if mps and dev.type != "cuda":
            rows.append(f"| {name} | - | - | - | - | - | - | - | skipped: no CUDA device |")
            continue
        for n in (int(x) for x in args.study_n.split(",")):
            if time.monotonic() > deadline:
                rows.append(f"| {name} | {n} | - | - | - | - | - | - | skipped: budget reached |")
                continue
            try:
                with mps_daemon() if mps else contextlib.nullcontext(None) as env:
                    row, bad = study_row(name, n, extra, env, args, tmp, deadline, single)
            except RuntimeError as e:  # MPS not available here: say why, in its row
                row, bad = f"| {name} | {n} | - | - | - | - | - | - | skipped: {e} |", None
            rows.append(row)
            if bad:
                failures.append(f"study {name} x{n}")
    print(f"\nN training runs at once on one device, separate processes (SNGAN, width {args.width:g}, batch "
          f"{args.batch}, n_critic {args.n_critic}), {args.study_steps} timed steps each after "
          f"{max(args.warmup, WARMUP + 1)} warm-up steps; + MPS: under NVIDIA's Multi-Process Service{dry}")
    print("| way | runs | each run ms / step, median [min-max] | aggregate steps/s | aggregate ms / step | "
          "steps/s over the joint window | throughput vs 1 run | timed windows overlap | checks |\n" + "|---" * 9 + "|")
    print("\n".join(rows))
    return failures


def study_row(name: str, n: int, extra: dict, env: dict | None, args, tmp: Path, deadline: float,
              single: dict[str, float]) -> tuple[str, str | None]:
    """One row of the study table: ``n`` runs at once (``env``: the children's, e.g. under MPS), and
    the first thing that went wrong, if anything did."""
    key = name.replace(" + ", "-")
    barrier = tmp / f"barrier-{key}-{n}"
    barrier.mkdir()
    spec = {"flags": train_flags(args, "", **extra), "n": n, "barrier": str(barrier),
            "steps": args.study_steps, "warmup": args.warmup, "wait_s": 120}
    procs = []
    for i in range(n):
        spec["flags"]["out"] = str(tmp / f"run-{key}-{n}-{i}")
        procs.append(subprocess.Popen([sys.executable, str(SESSION), "--child", json.dumps(spec), str(i)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    outs = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=max(60.0, deadline - time.monotonic() + 180))
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        outs.append(json.loads(out.strip().splitlines()[-1]) if p.returncode == 0 else
                    {"error": (err.strip().splitlines() or [f"exit {p.returncode}"])[-1][:160]})
    bad = ([o["error"] for o in outs if "error" in o] + ["NOT FINITE" for o in outs if o.get("finite") is False]
           + [o["graph"] for o in outs if "NOT CAPTURED" in o.get("graph", "")])
    if bad:
        return f"| {name} | {n} | - | - | - | - | - | - | FAILED: {bad[0]} |", bad[0]
    each = [1e3 * (o["end"] - o["start"]) / o["steps"] for o in outs]
    total = sum(1e3 / ms for ms in each)  # steps/s, each run's rate over its own timed steps
    start, end = min(o["start"] for o in outs), max(o["end"] for o in outs)
    overlap = max(0.0, min(o["end"] for o in outs) - max(o["start"] for o in outs)) / (end - start)
    if n == 1:
        single[name] = total
    # against one run of the same way, else (MPS with one run not measured) one plain graph run
    base = single.get(name, single.get("cuda-graph") if name.endswith("MPS") else None)
    gain = f"{total / base:.2f}" if base else "-"
    return (f"| {name} | {n} | {spread(each, '.1f')} | {total:.1f} | {1e3 / total:.1f} | "
            f"{sum(o['steps'] for o in outs) / (end - start):.1f} | {gain} | {overlap:.0%} | "
            f"{', '.join(c for c in ('finite', outs[0]['graph']) if c)} |", None)


def child(spec_json: str, index: str) -> None:
    """One study run: warm up, wait for the others at the barrier, time its own steps, print JSON."""
    spec = json.loads(spec_json)
    barrier = Path(spec["barrier"])
    try:
        t = Trainer(resolve(spec["flags"]), images=images())
        step, graph = training_step(t)
        for _ in range(max(spec["warmup"], WARMUP + 1)):
            step()
        sync(t.device)
    except BaseException:
        (barrier / f"failed-{index}").touch()  # the others stop waiting
        raise
    (barrier / f"ready-{index}").touch()
    give_up = time.monotonic() + spec["wait_s"]
    while len(list(barrier.glob("ready-*"))) < spec["n"]:
        if any(barrier.glob("failed-*")) or time.monotonic() > give_up:
            sys.exit("another run of this study failed or never became ready")
        time.sleep(0.002)
    start = time.time()
    for _ in range(spec["steps"]):
        step()
    sync(t.device)
    end = time.time()
    print(json.dumps({"start": start, "end": end, "steps": spec["steps"], "finite": not bool(t.diverged),
                      "graph": graph()}))
