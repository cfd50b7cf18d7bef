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
import gc
import sys
import tempfile
import time
import traceback
from pathlib import Path

import torch

from gpu.common import describe, first_line, shared
from gpu.evaluation import eval_section
from gpu.study import child, study_section
from gpu.train import train_section

SHARES = {"train": 0.4, "eval": 0.7, "study": 1.0}  # cumulative: a section that ends early leaves its time on


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
