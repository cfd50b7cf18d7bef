"""Drawing images from a trained generator, on the fly and in fixed-size chunks."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torchvision.utils import save_image

from gans.runs import checkpoint as ckpt_io
from gans.config import TrainConfig, from_dict
from gans.core.errors import UserError
from gans.core.files import check_new_file, check_writable
from gans.models import Generator
from gans.runs.networks import build_generator, pick_device, to_uint8


def uses_ema(state: dict, ema: bool = True) -> bool:
    """Whether sampling a checkpoint uses its EMA generator: when it has one, unless told not to."""
    return ema and "G_ema" in state


def load_generator(path: str | Path, device: str = "auto", ema: bool = True) -> tuple[Generator, TrainConfig, dict]:
    """(generator, config, the checkpoint's state) of a checkpoint (or a run's latest): the generator
    in eval mode on ``device``, the EMA one when the run kept one (``ema=False``: the raw one). It
    outputs images in [-1, 1]; :func:`gans.load_run` wraps this with uint8 sampling and the run's records."""
    path = ckpt_io.resolve_checkpoint(path)
    state = ckpt_io.load_checkpoint(path)
    cfg = from_dict(state["config"])
    G = build_generator(cfg)
    weights = state["G_ema"]["model"] if uses_ema(state, ema) else state["G"]
    ckpt_io.load_weights(G, weights, "generator", path)
    G.to(pick_device(device)).eval()
    return G, cfg, state


@contextlib.contextmanager
def sampling_mode(G: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Eval mode while sampling (running statistics, no power-iteration updates), then as before."""
    was_training = G.training
    G.eval()
    try:
        yield G
    finally:
        G.train(was_training)


def generate(G: Generator, num: int, seed: int = 0, batch_size: int = 500) -> Iterator[torch.Tensor]:
    """Yield uint8 (b, C, H, W) chunks on G's device; noise is drawn on the CPU so any device and any
    batch size give the same latents for the same seed."""
    # all latents in one call: CPU randn draws differently for short and long tensors, so chunked
    # draws would make the images depend on batch_size (50k latents are 25 MB)
    yield from decode(G, torch.randn(num, G.z_dim, generator=torch.Generator().manual_seed(seed)), batch_size)


def decode(G: Generator, z: torch.Tensor, batch_size: int = 500) -> Iterator[torch.Tensor]:
    """Yield uint8 images of CPU latents ``z`` in chunks, on G's device."""
    device = next(G.parameters()).device
    with torch.no_grad():
        for chunk in z.split(batch_size):
            yield to_uint8(G(chunk.to(device)))


def check_images_target(out: Path, overwrite: bool = False) -> None:
    """Where :func:`write_images` will write: a new ``.npz`` or an empty (or new) folder. Checked
    before any image is generated."""
    if out.suffix == ".npz":
        check_new_file(out, "--out", overwrite)
    elif out.suffix:
        raise UserError(f"--out {out} must end in .npz or be a folder; pass e.g. samples/run.npz")
    elif out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a folder; pass a folder or a .npz path")
    elif out.is_dir() and any(out.iterdir()) and not overwrite:
        raise UserError(f"--out {out} is a folder that is not empty; pass a new folder, or --overwrite")
    else:
        check_writable(out)


def write_images(images: torch.Tensor, out: Path) -> Path:
    """`.npz` (key `x`, uint8 NCHW) or a folder of PNGs."""
    if out.suffix == ".npz":
        out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(out, x=images.numpy())
        return out
    out.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(images):
        save_image(img.float() / 255, out / f"{i:06d}.png")
    return out


def write_grid(images: torch.Tensor, path: Path, nrow: int = 8, rows: int | None = None) -> Path:
    """A PNG grid of the first ``nrow`` x ``rows`` images (``rows`` defaults to ``nrow``), ``nrow`` per row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(images[: nrow * (rows or nrow)].float() / 255, path, nrow=nrow)
    return path


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation (rows of a and b, at each t): Gaussian latents keep their norm on the
    way, where a straight line passes through low-density points near the origin."""
    cos = torch.nn.functional.cosine_similarity(a, b, dim=-1).clamp(-1, 1)[:, None, None]
    omega = torch.arccos(cos)
    t = t[None, :, None]
    sin = torch.sin(omega)
    straight = sin.abs() < 1e-6  # (anti)parallel ends: fall back to a straight line
    wa = torch.where(straight, 1 - t, torch.sin((1 - t) * omega) / torch.where(straight, 1.0, sin))
    wb = torch.where(straight, t, torch.sin(t * omega) / torch.where(straight, 1.0, sin))
    return wa * a[:, None] + wb * b[:, None]


def interpolation(G: Generator, rows: int = 8, steps: int = 10, seed: int = 0) -> torch.Tensor:
    """uint8 images (rows * steps, C, H, W): each row walks from one random latent to another."""
    ends = torch.randn(2, rows, G.z_dim, generator=torch.Generator().manual_seed(seed))
    z = slerp(ends[0], ends[1], torch.linspace(0, 1, steps)).reshape(rows * steps, G.z_dim)
    return torch.cat([x.cpu() for x in decode(G, z)])
