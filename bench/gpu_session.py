"""Issue 29's measurements for one GPU session, printed as tables that name the device.

A GPU session runs it through bench/device_session.sh (with the CUDA-only tests first), or alone:
    timeout 540 python bench/gpu_session.py --device cuda --budget-s 480 > $OUT/gpu_session.txt 2>&1
It reads ../shared (the CIFAR-10 subset, gpu_limit.py) from ./shared first, where a lent machine has
them (`mkdir -p shared && cp -r ../shared/bench ../shared/data shared/`), else built-in shapes.

1. train: the project's Trainer (built as bench/train_step.py builds it), SNGAN standard CNN, width 1,
   batch 64, n_critic 5, whole steps: eager fp32 (the baseline), eager + bf16, eager + channels-last
   and --cuda-graph (the step Trainer.fit calls: captured on CUDA, run eagerly elsewhere) with each of
   fp32, bf16, channels-last and both.
2. reference: ../shared/bench/gpu_limit.py's make() and step_fn(), captured here as its main() does
   (cudnn.benchmark on while they run, as there): eager, graph, graph + bf16. The ways of 1 and 2 take
   turns, a block of --steps steps each per round, for --pairs rounds: ms/step is the median over
   rounds [min-max]; the ratio is the median [min-max] of each block over the same round's eager block.
3. eval: images/s of one --num draw (generation, Inception, IS + FID + KID + PRDC) with `gans eval`'s
   engine against torch_fidelity.calculate_metrics (IS + FID + KID + precision/recall) on the same
   generator, weights and device, taking turns; both timed from loading Inception and the cached
   reference to the metrics. Real weights from torch's hub cache if there, else random ones.
4. study: N runs at once (N = --study-n) as separate processes training on the one device; each times
   its own --study-steps after warm-up, all released together by a file barrier; aggregate steps/s.
   Then the graph runs again under NVIDIA's Multi-Process Service (a private daemon started and quit
   here), where processes' kernels may overlap instead of taking turns; its row says why where MPS
   is not available.
--budget-s: a section adds no rounds (and launches no study) past its share of the budget; one that
starts with none left is skipped with a note. A way that fails is a table row; the exit status is 1.
On a CPU it all runs, as a test of the script (tests/bench/test_benches.py):
    python bench/gpu_session.py --device cpu --width 0.0625 --batch 8 --steps 3 --pairs 1 --num 20 --study-steps 3
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from gans.config import resolve
from gans.core.errors import UserError
from gans.data.shapes import make_shapes
from gans.training.cuda_graph import WARMUP, TrainingStep
from gans.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]


def shared(*parts: str) -> Path:
    """A file of ./shared (what travels to a lent machine) or else of ../shared, beside the checkout."""
    inside = ROOT.joinpath("shared", *parts)
    return inside if inside.exists() else ROOT.parent.joinpath("shared", *parts)


SUBSET = shared("data", "cifar10_train_subset.npz")
SHARES = {"train": 0.4, "eval": 0.7, "study": 1.0}  # cumulative: a section that ends early leaves its time on


def images() -> torch.Tensor:
    return torch.from_numpy(np.load(SUBSET)["x"]) if SUBSET.exists() else make_shapes(1024)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def spread(xs: list[float], fmt: str = ".2f") -> str:
    return f"{statistics.median(xs):{fmt}} [{min(xs):{fmt}}-{max(xs):{fmt}}]"


def first_line(e: BaseException) -> str:
    return f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]}"


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


def eval_section(args, dev, dry, deadline, tmp: Path) -> list[str]:
    import torch_fidelity
    from torch_fidelity.generative_model_modulewrapper import GenerativeModelModuleWrapper

    from gans.eval.inception import FIDELITY_FILE, open_inception, random_inception
    from gans.eval.metrics import ImageDataset, extract
    from gans.eval.protocol import Protocol
    from gans.eval.reference import get_reference
    from gans.eval.scoring import score_draws
    from gans.models import Generator
    from gans.runs.networks import to_uint8
    from gans.runs.sampling import generate

    warnings.filterwarnings("ignore", message=".*DataLoader will create")
    weights, kind = args.inception_weights, "the given weights"
    hub = Path(torch.hub.get_dir()) / "checkpoints" / FIDELITY_FILE
    if weights is None and hub.is_file():
        weights, kind = hub, "real weights (torch-fidelity's file in the hub cache)"
    elif weights is None:
        weights, kind = tmp / "random-inception.pth", "random weights (the speed of the real ones; values meaningless)"
        torch.save(random_inception().state_dict(), weights)
    torch.manual_seed(0)
    G = Generator(128, args.width, 32, 3).to(dev).eval()
    reference = tmp / "reference.npz"
    np.savez(reference, x=make_shapes(args.num, size=32, seed=3).numpy())
    sizes = [int(b) for b in args.eval_batch.split(",")]
    protocol = Protocol(name="bench", num_samples=args.num, repeats=1, reference=str(reference),
                        kid_subset_size=min(1000, args.num))

    def ours(batch: int) -> None:
        inception = open_inception(weights, dev)
        ref = get_reference(str(reference), inception, cache_dir=tmp / "cache",
                            features_of=lambda x: extract(x.split(batch), inception))
        draws = score_draws(lambda seed: generate(G, args.num, seed, batch), inception, ref, protocol)
        assert draws[0].precision is not None, "PRDC was not computed"

    class Uint8G(torch.nn.Module):
        def forward(self, z: torch.Tensor) -> torch.Tensor:
            return to_uint8(G(z))

    kwargs = dict(input1=GenerativeModelModuleWrapper(Uint8G(), 128, "normal", 0), input1_model_num_samples=args.num,
                  input2=ImageDataset(torch.from_numpy(np.load(reference)["x"])), input2_cache_name="gpu-session",
                  cache_root=str(tmp / "tf-cache"), cache=True, cuda=dev.type == "cuda", isc=True, fid=True, kid=True,
                  prc=True, prc_neighborhood=protocol.prdc_k, kid_subset_size=protocol.kid_subset_size,
                  # P/R on the same Inception pool features as ours (its default would run VGG-16 too)
                  feature_extractor="inception-v3-compat", feature_layer_prc="2048",
                  feature_extractor_weights_path=str(weights), batch_size=sizes[0], verbose=False,
                  samples_shuffle=False)
    runs = [(f"torch_fidelity.calculate_metrics, batch {sizes[0]}: IS, FID, KID, P/R (baseline)",
             lambda: torch_fidelity.calculate_metrics(**kwargs))]
    runs += [(f"gans eval draw, batch {b}: IS, FID, KID, PRDC", lambda b=b: ours(b)) for b in sizes]
    for _, fn in runs:  # warm-up; fills both reference caches, so no timed run computes the reference
        fn()
    rates: list[list[float]] = [[] for _ in runs]
    for r in range(args.pairs):
        if r and time.monotonic() > deadline:
            print(f"note: budget reached after {r} of {args.pairs} rounds")
            break
        for (_, fn), out in zip(runs, rates):
            sync(dev)
            t = time.perf_counter()
            fn()
            sync(dev)
            out.append(args.num / (time.perf_counter() - t))
    print(f"\nEvaluation of one draw of {args.num} generated images (generator width {args.width:g}), Inception "
          f"with {kind}; {len(rates[0])} rounds taking turns; median [min-max]{dry}")
    print("| run | images/s | ratio to torch-fidelity |\n|---|---|---|")
    for (name, _), out in zip(runs, rates):
        print(f"| {name} | {spread(out, '.1f')} | {spread([a / b for a, b in zip(out, rates[0])])} |")
    if time.monotonic() < deadline:  # where our draw's time goes: what the >= 5,000 images/s target must cut
        print(f"\nWhere one gans eval draw (batch {sizes[-1]}) spends the device's time, torch.profiler, top ops:")
        print(profile_table(lambda: ours(sizes[-1]), dev))
    return []


def profile_table(fn: Callable[[], None], dev: torch.device, top: int = 15) -> str:
    """torch.profiler's table of ``fn``'s ops by self time on the device (the CPU's without CUDA)."""
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.type == "cuda" else [])
    try:
        with profile(activities=activities) as prof:
            fn()
            sync(dev)
        key = "self_device_time_total" if dev.type == "cuda" else "self_cpu_time_total"
        return prof.key_averages().table(sort_by=key, row_limit=top, max_name_column_width=60)
    except Exception as e:  # the profile is a hint for the next change, never a reason to lose the tables
        return f"(no profile: {first_line(e)})"


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
        procs.append(subprocess.Popen([sys.executable, __file__, "--child", json.dumps(spec), str(i)],
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


def describe(dev: torch.device) -> str:
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if dev.type == "cuda":
        name = f"{torch.cuda.get_device_name(dev)}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}"
    else:
        name = f"cpu ({os.cpu_count()} cores, {torch.get_num_threads()} threads)"
    return (f"device: {name}; torch {torch.__version__}; commit {commit.stdout.strip() or 'unknown'}; "
            f"data: {SUBSET if SUBSET.exists() else 'built-in shapes'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--budget-s", type=float, default=480.0, help="seconds for all sections together")
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--n-critic", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20, help="steps per timed block of the train section")
    ap.add_argument("--pairs", type=int, default=7, help="rounds of the train and eval sections (>= 5 for claims)")
    ap.add_argument("--warmup", type=int, default=5, help="steps before timing (graph capture included)")
    ap.add_argument("--reference", default=str(shared("bench", "gpu_limit.py")), help="[default: %(default)s]")
    ap.add_argument("--num", type=int, default=10_000, help="generated images per evaluation draw")
    ap.add_argument("--eval-batch", default="100,500", help="comma-separated Inception batch sizes of gans eval; "
                                                             "torch-fidelity runs at the first")
    ap.add_argument("--inception-weights", type=Path, help="a state-dict Inception file (both sides load it)")
    ap.add_argument("--study-n", default="1,2,4", help="comma-separated numbers of runs at once")
    ap.add_argument("--study-steps", type=int, default=150, help="timed steps of each study run")
    ap.add_argument("--sections", default="train,eval,study")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(*args.child)
    sys.stdout.reconfigure(line_buffering=True)  # a `timeout` kill keeps the tables printed so far
    dev = torch.device(args.device)
    dry = " (CPU dry run: no timing claims)" if dev.type != "cuda" else ""
    print(describe(dev) + (f"\n{dry.strip()}" if dry else ""))
    start, failures = time.monotonic(), []
    sections = {"train": train_section, "eval": eval_section, "study": study_section}
    for name in args.sections.split(","):
        deadline = start + SHARES[name] * args.budget_s
        if time.monotonic() > deadline:
            print(f"\n{name}: skipped, the budget ({args.budget_s:.0f} s) ran out")
            continue
        t = time.monotonic()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                failures += sections[name](args, dev, dry, deadline, Path(tmp))
        except Exception as e:  # noqa: BLE001 - the later sections still run on the lent device
            traceback.print_exc()
            print(f"\n{name}: FAILED ({first_line(e)})")
            failures.append(name)
        print(f"({name}: {time.monotonic() - t:.0f} s)")
        gc.collect()  # the section's models and graphs, before the next one's
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    if failures:
        sys.exit(f"failed: {', '.join(failures)}")


if __name__ == "__main__":
    main()
