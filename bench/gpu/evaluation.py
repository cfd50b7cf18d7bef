"""The eval section: one draw's images/s with `gans eval`'s engine against torch-fidelity's, and
where the draw's device time goes."""
from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from gans.data.shapes import make_shapes
from gpu.common import first_line, spread, sync


def eval_section(args, dev, dry, deadline, tmp: Path) -> list[str]:
    import torch_fidelity
    from torch_fidelity.generative_model_modulewrapper import GenerativeModelModuleWrapper

    from gans.eval.fidelity_net import random_inception
    from gans.eval.inception import FIDELITY_FILE, open_inception
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
