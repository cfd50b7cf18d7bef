"""Image sources (built-in shapes, CIFAR-10, .npz, image folders, slices of any) and a resumable
batch stream.

Every source becomes one uint8 tensor (N, C, H, W) held in memory (CIFAR-10 is 150 MB), so the
stream can live on the GPU and its order is a pure function of one generator's state.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch

from gans.core.errors import UserError
from gans.data.shapes import make_shapes

BUILTIN = "shapes"
SHAPES_COUNT = 10_000
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff"}
CIFAR_SPLITS = {"cifar10": True, "cifar10-train": True, "cifar10-test": False}


_SLICE = re.compile(r"(?P<source>.+)\[(?P<start>-?\d*):(?P<stop>-?\d*)\]")


def load_images(dataset: str, data_dir: str | Path = "data") -> torch.Tensor:
    """Resolve a dataset name or path to a uint8 (N, C, H, W) tensor. A ``[START:STOP]`` suffix takes
    a slice, so one file gives a training set and a held-out set (``data.npz[:4000]``, ``data.npz[4000:]``)."""
    m = _SLICE.fullmatch(dataset)
    if m:
        images = load_images(m["source"], data_dir)
        part = images[slice(int(m["start"]) if m["start"] else None, int(m["stop"]) if m["stop"] else None)]
        if len(part) == 0:
            raise UserError(f"{dataset} selects no images ({m['source']} has {len(images)}); fix the slice")
        return part
    if dataset == BUILTIN:
        return make_shapes(SHAPES_COUNT, seed=0)
    if dataset in CIFAR_SPLITS:
        return load_cifar10(data_dir, train=CIFAR_SPLITS[dataset])
    path = Path(dataset)
    if not path.exists():
        raise UserError(f"dataset {dataset!r} not found; pass {BUILTIN}, cifar10, cifar10-test, "
                        "a .npz of uint8 images or an image folder")
    if path.is_dir():
        return load_folder(path)
    if path.suffix == ".npz":
        return load_npz(path)
    raise UserError(f"dataset {path} is neither a .npz file nor a folder of images; pass one of those")


def _cifar10_class():
    from torchvision.datasets import CIFAR10

    class LocalCIFAR10(CIFAR10):
        """torchvision's CIFAR-10 reader, checking that the batch files exist rather than their md5.

        The archive's md5 is still verified on download; skipping the per-file hashes lets a
        re-packed copy (or a test's tiny one in the same pickle format) load, and saves hashing
        180 MB on every start.
        """

        train_list = [[name, None] for name, _ in CIFAR10.train_list]
        test_list = [[name, None] for name, _ in CIFAR10.test_list]
        meta = {**CIFAR10.meta, "md5": None}

    return LocalCIFAR10


def load_cifar10(data_dir: str | Path, train: bool = True) -> torch.Tensor:
    dataset = _cifar10_class()
    root = Path(data_dir)
    try:  # an existing copy needs no network
        ds = dataset(root, train=train, download=False)
    except RuntimeError:
        try:
            ds = dataset(root, train=train, download=True)
        except Exception as e:  # no network, proxy errors, a bad partial download...
            raise UserError(
                f"CIFAR-10 is not under {root / 'cifar-10-batches-py'} and could not be downloaded "
                f"({type(e).__name__}); put the extracted cifar-10-batches-py folder there "
                "or pass --data-dir to where it is") from None
    return torch.from_numpy(np.ascontiguousarray(ds.data.transpose(0, 3, 1, 2)))


def load_npz(path: Path) -> torch.Tensor:
    try:
        with np.load(path) as f:
            if "x" not in f.files:
                held = ", ".join(f.files) or "no arrays"
                raise UserError(f"{path} has no array 'x' (it holds {held}); save the images under the key 'x'")
            x = f["x"]
    except (OSError, ValueError) as e:
        raise UserError(f"{path} is not a readable .npz file ({e}); re-save it with numpy.savez") from None
    return to_nchw_uint8(x, str(path))


def to_nchw_uint8(x: np.ndarray, name: str) -> torch.Tensor:
    if x.dtype != np.uint8:
        raise UserError(f"{name}: expected uint8 images, got {x.dtype} {x.shape}; convert to uint8 0-255 first")
    if x.ndim != 4:
        raise UserError(f"{name}: expected 4-D images (N, C, H, W) or (N, H, W, C), got shape {x.shape}; "
                        "add the channel axis (e.g. x[:, None] for grayscale)")
    if x.shape[1] in (1, 3) and x.shape[3] not in (1, 3):
        pass
    elif x.shape[3] in (1, 3):
        x = x.transpose(0, 3, 1, 2)
    else:
        raise UserError(f"{name}: cannot find a channel axis of size 1 or 3 in shape {x.shape}")
    if len(x) == 0:
        raise UserError(f"{name} holds no images; pass a non-empty data set")
    return torch.from_numpy(np.ascontiguousarray(x))


def load_folder(path: Path) -> torch.Tensor:
    from PIL import Image

    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise UserError(f"image folder {path} has no images ({', '.join(sorted(IMAGE_SUFFIXES))}); "
                        "point --dataset at a folder that holds them")
    arrays = []
    for f in files:
        try:
            with Image.open(f) as im:
                arrays.append(np.asarray(im.convert("RGB")))
        except OSError as e:
            raise UserError(f"cannot read image {f} ({e}); remove or fix it") from None
    sizes = {a.shape for a in arrays}
    if len(sizes) > 1:
        raise UserError(f"images in {path} differ in size ({', '.join(map(str, sorted(sizes)[:3]))}); "
                        "resize them to one size first")
    return to_nchw_uint8(np.stack(arrays), str(path))


def check_shape(images: torch.Tensor, image_size: int, channels: int, dataset: str) -> None:
    _, c, h, w = images.shape
    if (h, w, c) != (image_size, image_size, channels):
        raise UserError(f"dataset {dataset} has {h}x{w}x{c} images but the model expects "
                        f"{image_size}x{image_size}x{channels}; pass --image-size {h} --channels {c}"
                        if h == w else
                        f"dataset {dataset} has non-square {h}x{w} images; crop them to squares")


class Batches:
    """An endless stream of shuffled batches in [-1, 1], drop-last, reshuffled every epoch.

    Its state is the generator state at the start of the epoch plus the position in it: enough to
    rebuild the exact permutation on resume without storing it.
    """

    def __init__(self, images: torch.Tensor, batch_size: int, seed: int, device: torch.device) -> None:
        if batch_size > len(images):
            raise UserError(f"--batch-size {batch_size} is larger than the data set ({len(images)} images); "
                            "lower it")
        self.images = images.to(device)
        self.batch_size = batch_size
        self.gen = torch.Generator().manual_seed(seed)
        self._new_epoch()

    def _new_epoch(self) -> None:
        self.epoch_state = self.gen.get_state()
        self.perm = torch.randperm(len(self.images), generator=self.gen).to(self.images.device)
        self.pos = 0

    def next(self) -> torch.Tensor:
        if self.pos + self.batch_size > len(self.images):
            self._new_epoch()
        idx = self.perm[self.pos:self.pos + self.batch_size]
        self.pos += self.batch_size
        return self.images[idx].float().div_(127.5).sub_(1.0)

    def state_dict(self) -> dict:
        return {"epoch_state": self.epoch_state.clone(), "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        self.gen.set_state(state["epoch_state"])
        self._new_epoch()
        self.pos = state["pos"]
