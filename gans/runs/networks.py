"""What every side that trains, samples or scores needs: the device, the networks of a config, and
generator output as uint8 images."""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from gans.core.errors import UserError
from gans.models import NETWORKS

if TYPE_CHECKING:
    from gans.config import TrainConfig


def pick_device(name: str | torch.device) -> torch.device:
    if isinstance(name, torch.device):
        return name
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"--device {name} asked for but no CUDA GPU is visible; use --device cpu")
    return torch.device(name)


def build_generator(cfg: "TrainConfig") -> nn.Module:
    G = NETWORKS[cfg.arch][0]
    return G(cfg.z_dim, cfg.width, cfg.image_size, cfg.channels, cfg.g_norm, init=cfg.generator_init)


def build_discriminator(cfg: "TrainConfig") -> nn.Module:
    D = NETWORKS[cfg.arch][1]
    return D(cfg.width, cfg.image_size, cfg.channels, cfg.norm, arch=cfg.d_arch, init=cfg.init)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] -> uint8 images, rounding like torchvision's save_image."""
    return x.add(1).mul(127.5).add_(0.5).clamp_(0, 255).to(torch.uint8)
