"""Training speed, in two tables.

1. Median ms per critic (D) step and per generator (G) step, gans' trainer vs a plain eager loop.
   Both sides use the same models, batch and optimizer; the plain loop is written here, without the
   trainer's machinery, so the ratio shows what the toolkit costs (or saves: its G step skips the
   critic's weight gradients).
2. Whole training steps (n_critic 1, SNGAN) with each speed option against the plain eager step of the
   same run: --channels-last, --precision bf16, --compile (its compile time apart), --ema-decay, and
   --diagnose-every 100 (the diagnostics' cost spread over 100 steps), with a projection to 100k steps.
   Every row but the channels-last ones runs contiguous, whatever the device's default layout.
3. With --layout-ab, only this: contiguous (A) against channels-last (B) whole steps, interleaved
   A B A B ... so that load from other processes on a shared machine falls on both alike; the
   evidence for --channels-last's default per device (gans.config.options.CHANNELS_LAST_BY_DEVICE).
Run: python bench/train_step.py [--width 1.0] [--repeats 5] [--device cpu] [--no-compile] [--layout-ab]
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from gans.config import resolve
from gans.core.hardware import cpu_isa, cpu_model
from gans.data.shapes import make_shapes
from gans.training.trainer import Trainer

SUBSET = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10_train_subset.npz"
CASES = [("bn", "wgan-gp", False), ("sn", "sngan", False), ("msn", "msngan", False), ("bn+gp", "wgan-gp", True)]


def plain_critic_step(G, D, opt, real, z, gp: bool) -> None:
    with torch.no_grad():
        fake = G(z)
    loss = D(fake).mean() - D(real).mean()
    if gp:
        a = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
        x = (a * real + (1 - a) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
        loss = loss + 10 * (g.flatten(1).norm(dim=1) - 1).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


def plain_generator_step(G, D, opt, z) -> None:
    loss = -D(G(z)).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


def median_ms(fn, repeats: int, device: torch.device) -> float:
    fn()  # warm-up (allocator, cudnn autotune)
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def bench(device: str, width: float, batch: int, repeats: int, images: torch.Tensor) -> list[list]:
    rows = []
    for label, preset, gp in CASES:
        cfg = resolve({"preset": preset, "gp": gp, "width": width, "batch_size": batch,
                       "device": device, "out": "/tmp/gans-bench", "channels_last": False})  # as the plain loop
        t = Trainer(cfg, images=images)
        dev = t.device
        z = torch.randn(batch, cfg.z_dim, device=dev)
        real = t.batches.next()
        ours_d = median_ms(t.critic_step, repeats, dev)
        ours_g = median_ms(t.generator_step, repeats, dev)
        plain_d = median_ms(lambda: plain_critic_step(t.G, t.D, t.opt_d, real, z, gp), repeats, dev)
        plain_g = median_ms(lambda: plain_generator_step(t.G, t.D, t.opt_g, z), repeats, dev)
        rows.append([label, dev.type, ours_d, plain_d, ours_d / plain_d, ours_g, plain_g, ours_g / plain_g])
    return rows


OPTIONS = [("eager (baseline)", {}), ("channels-last", {"channels_last": True}), ("bf16", {"precision": "bf16"}),
           ("channels-last + bf16", {"channels_last": True, "precision": "bf16"}), ("compile", {"compile": True}),
           ("ema 0.9999", {"ema_decay": 0.9999}), ("diagnose-every 100", {"diagnose_every": 100})]


def options(device: str, width: float, batch: int, repeats: int, images: torch.Tensor, compile_too: bool) -> list[list]:
    rows, base = [], None
    for label, extra in OPTIONS:
        if extra.get("compile") and not compile_too:
            continue
        cfg = resolve({"preset": "sngan", "n_critic": 1, "width": width, "batch_size": batch, "device": device,
                       "out": "/tmp/gans-bench", "channels_last": False, **extra})
        t = Trainer(cfg, images=images)
        t0 = time.perf_counter()
        t.train_step()  # compiles, with --compile
        first_s = time.perf_counter() - t0
        if t.diagnoser and base:
            # the steps between diagnoses are the eager step (tested bitwise equal), so the row is the
            # baseline plus one diagnosis per 100 steps; timing the steps again only adds their noise
            ms = base + median_ms(lambda: t.diagnoser(t.G, t.D, t.step), max(3, repeats), t.device) / 100
        else:
            ms = median_ms(t.train_step, repeats, t.device)
        base = base or ms
        rows.append([label, t.device.type, ms, ms / base, ms * 100_000 / 60_000,
                     f"{first_s:.0f} s" if extra.get("compile") else ""])
    return rows


def timed_ms(fn, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t) * 1e3


def layout_ab(device: str, width: float, batch: int, repeats: int, images: torch.Tensor) -> list:
    """Whole steps (sngan, n_critic 1), contiguous and channels-last taking turns."""
    runs = [Trainer(resolve({"preset": "sngan", "n_critic": 1, "width": width, "batch_size": batch, "device": device,
                             "out": "/tmp/gans-bench", "channels_last": layout}), images=images)
            for layout in (False, True)]
    for t in runs:
        t.train_step()  # warm-up (allocator, cudnn autotune)
    times: list[list[float]] = [[], []]
    for _ in range(repeats):
        for t, ms in zip(runs, times):
            ms.append(timed_ms(t.train_step, t.device))
    a, b = statistics.median(times[0]), statistics.median(times[1])
    faster = sum(y < x for x, y in zip(*times))
    return [runs[0].device.type, width, a, b, b / a, f"{faster}/{repeats}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--device", action="append", help="cpu and/or cuda (default: cpu, plus cuda if present)")
    ap.add_argument("--no-compile", action="store_true", help="Skip the --compile row (inductor takes minutes on a CPU).")
    ap.add_argument("--layout-ab", action="store_true", help="Only contiguous vs channels-last steps, interleaved.")
    args = ap.parse_args()
    devices = args.device or (["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    images = torch.from_numpy(np.load(SUBSET)["x"]) if SUBSET.exists() else make_shapes(1024)
    print(f"width {args.width}, batch {args.batch}, median of {args.repeats}, "
          f"data: {'CIFAR-10 subset' if SUBSET.exists() else 'built-in shapes'}, torch {torch.__version__}, "
          f"CPU {cpu_model()} ({cpu_isa()}), {torch.get_num_threads()} threads")
    if args.layout_ab:
        head = ["device", "width", "contiguous ms", "channels-last ms", "ratio", "channels-last faster in"]
        print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
        for device in devices:
            r = layout_ab(device, args.width, args.batch, args.repeats, images)
            print(f"| {r[0]} | {r[1]:g} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.2f} | {r[5]} steps |")
        return
    head = ["norm", "device", "D ms", "plain D ms", "D ratio", "G ms", "plain G ms", "G ratio"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for device in devices:
        for r in bench(device, args.width, args.batch, args.repeats, images):
            print(f"| {r[0]} | {r[1]} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.2f} | {r[5]:.1f} | {r[6]:.1f} | {r[7]:.2f} |")
    head = ["option", "device", "ms / step", "ratio", "100k steps (min)", "compile"]
    print("\n| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for device in devices:
        for r in options(device, args.width, args.batch, args.repeats, images, not args.no_compile):
            print(f"| {r[0]} | {r[1]} | {r[2]:.1f} | {r[3]:.2f} | {r[4]:.1f} | {r[5]} |")


if __name__ == "__main__":
    main()
