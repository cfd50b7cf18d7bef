"""The SNGAN "standard CNN" for 32x32 images (Miyato et al. 2018, Table 3), any norm in the slot.

Both networks build every layer through :mod:`models.norms`, so the generator and discriminator
differ between WGAN-GP, SNGAN and MSNGAN only by the registry name passed in.
"""
from __future__ import annotations

import torch
from torch import nn

from gans.models.norms import Slot, get_norm


def _width(base: int, mult: float) -> int:
    return max(1, round(base * mult))


def _check_size(image_size: int) -> None:
    if image_size < 8 or image_size % 8:
        raise ValueError(f"image size must be a multiple of 8 (>= 8), got {image_size}")


class Generator(nn.Module):
    """z (N(0, I)) -> dense -> s/8 x s/8 x 512 -> 3 x [deconv 4x4 s2, norm, ReLU] -> conv 3x3 -> tanh."""

    def __init__(
        self,
        z_dim: int = 128,
        width: float = 1.0,
        image_size: int = 32,
        channels: int = 3,
        norm: str = "bn",
        init: str = "torch",
    ) -> None:
        super().__init__()
        _check_size(image_size)
        wrap = get_norm(norm, init)
        c0, c1, c2, c3 = (_width(c, width) for c in (512, 256, 128, 64))
        self.z_dim, self.c0, self.bottom = z_dim, c0, image_size // 8
        self.dense = wrap(Slot(lambda b: nn.Linear(z_dim, self.bottom**2 * c0, bias=b), self.bottom**2 * c0, False, 1))
        ups = []
        for n, (cin, cout) in enumerate(((c0, c1), (c1, c2), (c2, c3)), start=2):
            make = lambda b, i=cin, o=cout: nn.ConvTranspose2d(i, o, 4, 2, 1, bias=b)  # noqa: E731
            ups += [wrap(Slot(make, cout, False, n)), nn.ReLU()]
        self.body = nn.Sequential(*ups)
        self.to_rgb = wrap(Slot(lambda b: nn.Conv2d(c3, channels, 3, 1, 1, bias=b), channels, True, 5))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.dense(z)).view(-1, self.c0, self.bottom, self.bottom)
        return torch.tanh(self.to_rgb(self.body(h)))


ARCHS = ("standard", "separable")


class Discriminator(nn.Module):
    """Seven convs (3x3 s1 / 4x4 s2 alternating, 64 -> 512 channels), LeakyReLU(0.1), dense -> 1.

    ``arch="separable"`` makes each k x k conv depthwise-separable: a depthwise k x k conv (in -> in,
    groups=in, same stride) then a pointwise 1x1 conv (in -> out), each its own norm slot (so slot
    indices count both: 1..14, head 15), LeakyReLU after the pointwise only. That is what `dsn`
    normalizes.
    """

    def __init__(
        self, width: float = 1.0, image_size: int = 32, channels: int = 3, norm: str = "sn",
        arch: str = "standard", init: str = "torch",
    ) -> None:
        super().__init__()
        _check_size(image_size)
        if arch not in ARCHS:
            raise ValueError(f"unknown critic arch {arch!r}; choose one of {', '.join(ARCHS)}")
        wrap = get_norm(norm, init)
        plan = [(3, 1, 64), (4, 2, 64), (3, 1, 128), (4, 2, 128), (3, 1, 256), (4, 2, 256), (3, 1, 512)]
        layers, cin, n = [], channels, 0
        for k, s, base in plan:
            cout = _width(base, width)
            if arch == "separable":
                depthwise = lambda b, c=cin, k=k, s=s: nn.Conv2d(c, c, k, s, 1, groups=c, bias=b)  # noqa: E731
                pointwise = lambda b, i=cin, o=cout: nn.Conv2d(i, o, 1, bias=b)  # noqa: E731
                layers += [wrap(Slot(depthwise, cin, False, n + 1)), wrap(Slot(pointwise, cout, False, n + 2))]
                n += 2
            else:
                make = lambda b, i=cin, o=cout, k=k, s=s: nn.Conv2d(i, o, k, s, 1, bias=b)  # noqa: E731
                layers.append(wrap(Slot(make, cout, False, n + 1)))
                n += 1
            layers.append(nn.LeakyReLU(0.1))
            cin = cout
        self.body = nn.Sequential(*layers)
        flat = cin * (image_size // 8) ** 2
        self.head = wrap(Slot(lambda b: nn.Linear(flat, 1, bias=b), 1, True, n + 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).flatten(1)).squeeze(1)

    def slots(self) -> list[nn.Module]:
        """The normalized layers in slot-index order (1..n, head last), as the ResNet critic's."""
        return [m for m in self.body if not isinstance(m, nn.LeakyReLU)] + [self.head]


NETS = (Generator, Discriminator)  # this architecture's entry in gans.models.NETWORKS


def count_parameters(module: nn.Module) -> int:
    """Trainable parameters (spectral norm's u/v are buffers, so they are not counted)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
