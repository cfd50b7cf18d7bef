"""Evaluation speed: images/s of one `gans eval` draw (generate, Inception, IS + FID + KID) against
`torch_fidelity.calculate_metrics` on the same generator, N, weights and device; and seconds of the
Fréchet distance against scipy's `sqrtm` for 2048-d covariances.

Both metric runs start from a generator and end with IS, FID and KID against reference features
computed (and cached) before timing. With no --inception-weights a random-weight Inception is used:
the speed is the same, the values are meaningless.
Run: python bench/eval.py [--num 200] [--device cpu] [--inception-weights FILE]
"""
from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.linalg
import torch

from gans.core.hardware import cpu_isa, cpu_model, device_name
from gans.eval.protocol import Protocol
from gans.eval.scoring import score_draws
from gans.eval.frechet import frechet_distance, frechet_distance_to_samples, statistics
from gans.eval.fidelity_net import random_inception
from gans.eval.inception import open_inception
from gans.eval.metrics import ImageDataset, extract
from gans.eval.reference import get_reference
from gans.data.shapes import make_shapes
from gans.models import Generator
from gans.runs.networks import to_uint8
from gans.runs.sampling import generate


class Uint8Generator(torch.nn.Module):
    """torch-fidelity wants generators that return uint8 images."""

    def __init__(self, G: Generator) -> None:
        super().__init__()
        self.G = G

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return to_uint8(self.G(z))


def images_per_s(num: int, device: str, weights: Path, batch: int, workdir: Path,
                 reference_num: int | None = None) -> tuple[float, float]:
    import torch_fidelity
    from torch_fidelity.generative_model_modulewrapper import GenerativeModelModuleWrapper

    torch.manual_seed(0)
    G = Generator(128, 1.0, 32, 3).to(device).eval()
    reference = workdir / "reference.npz"
    np.savez(reference, x=make_shapes(reference_num or max(num, 100), size=32, seed=3).numpy())
    inception = open_inception(weights, device)
    ref = get_reference(str(reference), inception, cache_dir=workdir / "cache",
                        features_of=lambda x: extract(x.split(batch), inception))
    kid_subset = min(1000, num, reference_num or num)  # KID's subsets are drawn from both sides
    protocol = Protocol(name="bench", num_samples=num, repeats=1, reference=str(reference),
                        kid_subset_size=kid_subset)

    def ours() -> None:
        score_draws(lambda seed: generate(G, num, seed, batch), inception, ref, protocol)

    kwargs = dict(input1=GenerativeModelModuleWrapper(Uint8Generator(G), 128, "normal", 0),
                  input1_model_num_samples=num, input2=ImageDataset(torch.from_numpy(np.load(reference)["x"])),
                  input2_cache_name="bench-reference", cache_root=str(workdir / "tf-cache"), cache=True,
                  cuda=device.startswith("cuda"), isc=True, fid=True, kid=True, kid_subset_size=kid_subset,
                  feature_extractor_weights_path=str(weights), batch_size=batch, verbose=False,
                  samples_shuffle=False)

    def fidelity() -> None:
        torch_fidelity.calculate_metrics(**kwargs)

    fidelity()  # fills torch-fidelity's reference cache, so both timed runs skip the reference
    out = []
    for fn in (ours, fidelity):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        out.append(num / (time.perf_counter() - t))
    return out[0], out[1]


def frechet_seconds(n: int, d: int = 2048) -> tuple[float, float, float, float]:
    """Ours (symmetric form for n > d, sample form for n <= d) vs scipy sqrtm; and the relative gap."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, d)) @ (rng.standard_normal((d, d)) * 0.05)
    b = rng.standard_normal((max(n, 4000), d)) * 1.1
    (m1, s1), (m2, s2) = statistics(a), statistics(b)
    t = time.perf_counter()
    ours = frechet_distance_to_samples(a, m2, s2) if n <= d else frechet_distance(m1, s1, m2, s2)
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    ref = float((m1 - m2) @ (m1 - m2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
    t_scipy = time.perf_counter() - t
    return t_ours, t_scipy, ours, abs(ours - ref) / abs(ref)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--num", type=int, default=200, help="generated images per run")
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--inception-weights", type=Path, help="[default: a random-weight Inception file]")
    ap.add_argument("--reference-num", type=int, help="reference images [default: max(--num, 100)]")
    ap.add_argument("--frechet-samples", default="1000,10000",
                    help="comma-separated sample counts of the Fréchet rows [default: 1000,10000]")
    ap.add_argument("--frechet-dim", type=int, default=2048, help="feature dimension of the Fréchet rows")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", message=".*DataLoader will create")  # torch-fidelity's 4 workers on 2 cores
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        weights = args.inception_weights
        if weights is None:
            weights = workdir / "random-inception.pth"
            torch.save(random_inception().state_dict(), weights)
        ours, fidelity = images_per_s(args.num, args.device, weights, args.batch_size, workdir, args.reference_num)
    where = device_name(args.device) if args.device.startswith("cuda") else f"{cpu_model()} ({cpu_isa()})"
    print(f"\nIS + FID + KID of one draw of {args.num} generated images ({args.device}: {where}, batch {args.batch_size})")
    print("| run | images/s | ratio |\n|---|---|---|")
    print(f"| torch_fidelity.calculate_metrics (baseline) | {fidelity:.1f} | 1.00 |")
    print(f"| gans eval draw | {ours:.1f} | {ours / fidelity:.2f} |")
    print(f"\nFréchet distance, {args.frechet_dim}-d (scipy.linalg.sqrtm baseline)")
    print("| samples on one side | ours s | scipy s | speed-up | relative difference |\n|---|---|---|---|---|")
    for n in (int(x) for x in args.frechet_samples.split(",")):
        t_ours, t_scipy, _, gap = frechet_seconds(n, args.frechet_dim)
        print(f"| {n} | {t_ours:.2f} | {t_scipy:.2f} | {t_scipy / t_ours:.1f}x | {gap:.1e} |")


if __name__ == "__main__":
    main()
