"""Cost of each critic normalization: median ms of a critic forward+backward, trainable parameters and
peak memory, each with its ratio to `sn` on the standard critic measured in the same run.

Every case runs in a fresh subprocess, so the peak memory of one case is not the high-water mark of
another: on CUDA torch.cuda.max_memory_allocated, on the CPU the increase of the peak RSS
(resource.getrusage) over the step, after the model and batch are built.
Run: python bench/norms.py [--width 0.25] [--batch 64] [--repeats 5] [--device cpu]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys

import torch

from gans.core.hardware import cpu_isa, cpu_model
from gans.models import Discriminator, count_parameters
from train_step import median_ms  # bench/ is on the path when a bench script runs

CASES = [(n, "standard") for n in ("sn", "bssn", "ssn", "wn", "cwn", "msn", "bn")] + [
    (n, "separable") for n in ("sn", "dsn")]


def measure(norm: str, arch: str, device: str, width: float, batch: int, repeats: int) -> dict:
    """One case, in this process: critic forward+backward in training mode (power iterations included)."""
    dev = torch.device(device)
    torch.manual_seed(0)
    D = Discriminator(width, 32, 3, norm, arch=arch).to(dev).train()
    x = torch.randn(batch, 3, 32, 32, device=dev)

    def step() -> None:
        D.zero_grad(set_to_none=True)
        D(x).mean().backward()

    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ms = median_ms(step, repeats, dev)  # after a warm-up step (allocator, cudnn autotune, wn's data init)
    if dev.type == "cuda":
        peak = (torch.cuda.max_memory_allocated() - base) / 2**20
    else:  # ru_maxrss is in KiB on Linux
        peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kib) / 2**10
    return {"ms": ms, "params": count_parameters(D), "mib": peak}


def run_case(norm: str, arch: str, device: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--one", norm, arch, device, "--width", str(args.width),
           "--batch", str(args.batch), "--repeats", str(args.repeats)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--device", action="append", help="cpu and/or cuda (default: cpu, plus cuda if present)")
    ap.add_argument("--one", nargs=3, metavar=("NORM", "ARCH", "DEVICE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(*args.one, args.width, args.batch, args.repeats)))
        return
    devices = args.device or (["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    print(f"critic width {args.width}, batch {args.batch}, 32x32, median of {args.repeats}, "
          f"torch {torch.__version__}, {cpu_model()} ({cpu_isa()}), {torch.get_num_threads()} CPU threads; "
          f"peak memory: CUDA max_memory_allocated, CPU peak-RSS increase (one subprocess per case)")
    head = ["norm", "arch", "device", "fwd+bwd ms", "ms ratio", "params", "params ratio", "peak MiB", "MiB ratio"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for device in devices:
        rows = [(norm, arch, run_case(norm, arch, device, args)) for norm, arch in CASES]
        ref = next(r for n, a, r in rows if (n, a) == ("sn", "standard"))
        for norm, arch, r in rows:
            mem_ratio = f"{r['mib'] / ref['mib']:.2f}" if ref["mib"] > 0 else "-"
            print(f"| {norm} | {arch} | {device} | {r['ms']:.1f} | {r['ms'] / ref['ms']:.2f} | {r['params']:,} | "
                  f"{r['params'] / ref['params']:.2f} | {r['mib']:.1f} | {mem_ratio} |")


if __name__ == "__main__":
    main()
