"""The SNGAN paper's ResNet for 32x32 images (Miyato et al. 2018, Appendix B, Table 4), any norm in the slot.

The layout is Mimicry's ``sngan_32`` (the paper's nets in PyTorch: G 4.28 M parameters with BN, D
1.05 M with SN); every conv and dense layer goes through :mod:`models.norms`, as in
:mod:`models.dcgan`. Where this differs from Mimicry, and why:

* Generator norm placement. A norm acts on its conv's output, but the paper's blocks are
  pre-activation: BN of a block's *input*, which is the sum of the previous block's residual and
  shortcut convs. So each conv carries its own norm: a block's output is ``norm(c2(.)) +
  norm(shortcut(.))`` instead of ``BN(c2(.) + shortcut(.))``, the dense layer's norm (over its
  4*4*256 features, as dcgan's) stands in for the first block's input BN, and the last block's
  norms for the BN before the RGB conv. The BN between c1 and c2 is exactly the paper's.
* Upsampling is nearest-neighbour, as in the authors' Chainer code (Mimicry uses bilinear).
* ReLUs are not in place: Mimicry's in-place ReLU also rectifies the input its DBlock shortcuts see.
* PyTorch's default init unless ``init`` names another scheme (:mod:`models.init`; Mimicry: Xavier).

Slot indices count convs in construction order, per block residual convs then the shortcut, head
last: critic 1-3 (first block: c1, c2, shortcut), 4-6, 7-8, 9-10, head 11; generator dense 1,
then 2-4, 5-7, 8-10, RGB conv (head) 11.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gans.models.dcgan import _check_size, _width
from gans.models.norms import Slot, get_norm


class _Slots:
    """Builds layers through one norm, numbering them as they are made (so indices follow data flow)."""

    def __init__(self, norm: str, init: str = "torch") -> None:
        self.wrap, self.count = get_norm(norm, init), 0

    def _slot(self, make, channels: int, head: bool) -> nn.Module:
        self.count += 1
        return self.wrap(Slot(make, channels, head, self.count))

    def conv(self, cin: int, cout: int, k: int, head: bool = False) -> nn.Module:
        return self._slot(lambda b: nn.Conv2d(cin, cout, k, 1, k // 2, bias=b), cout, head)

    def dense(self, fin: int, fout: int, head: bool = False) -> nn.Module:
        return self._slot(lambda b: nn.Linear(fin, fout, bias=b), fout, head)


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")


class GBlock(nn.Module):
    """ReLU - upsample - conv 3x3 (norm) - ReLU - conv 3x3 (norm), plus upsample - conv 1x1 (norm).

    The input is already normalized: it is the sum of the previous block's normed convs (or the
    normed dense layer).
    """

    def __init__(self, slots: _Slots, cin: int, cout: int) -> None:
        super().__init__()
        self.c1 = slots.conv(cin, cout, 3)
        self.c2 = slots.conv(cout, cout, 3)
        self.shortcut = slots.conv(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.c2(torch.relu(self.c1(_up(torch.relu(x)))))
        return h + self.shortcut(_up(x))


class DBlock(nn.Module):
    """ReLU - conv 3x3 - ReLU - conv 3x3 (- avgpool 2), plus a shortcut: conv 1x1 where channels
    change or it downsamples (then avgpool 2), else the identity.

    ``first``: the paper's optimized first block, which always downsamples: no ReLU on the image,
    and the shortcut pools before its 1x1 conv. The order matters only with batch-statistics
    norms (pooling changes the variance they divide by), so it follows the reference code.
    """

    def __init__(self, slots: _Slots, cin: int, cout: int, down: bool, first: bool = False) -> None:
        super().__init__()
        self.down, self.first = down or first, first
        self.c1 = slots.conv(cin, cout, 3)
        self.c2 = slots.conv(cout, cout, 3)
        self.shortcut = slots.conv(cin, cout, 1) if first or down or cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.c2(torch.relu(self.c1(x if self.first else torch.relu(x))))
        if self.first:
            return F.avg_pool2d(h, 2) + self.shortcut(F.avg_pool2d(x, 2))
        out = h + (x if self.shortcut is None else self.shortcut(x))
        return F.avg_pool2d(out, 2) if self.down else out  # pooling the sum = pooling both branches

    def slots(self) -> list[nn.Module]:
        return [self.c1, self.c2] + ([self.shortcut] if self.shortcut is not None else [])


class ResNetGenerator(nn.Module):
    """z -> dense -> s/8 x s/8 x 256 -> 3 x GBlock(256, up) -> ReLU -> conv 3x3 -> tanh."""

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
        _check_size(image_size)  # three 2x upsamplings from s/8
        slots = _Slots(norm, init)
        c = _width(256, width)
        self.z_dim, self.c, self.bottom = z_dim, c, image_size // 8
        self.dense = slots.dense(z_dim, self.bottom**2 * c)
        self.blocks = nn.Sequential(*(GBlock(slots, c, c) for _ in range(3)))
        self.to_rgb = slots.conv(c, channels, 3, head=True)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.dense(z).view(-1, self.c, self.bottom, self.bottom)
        return torch.tanh(self.to_rgb(torch.relu(self.blocks(h))))


class ResNetDiscriminator(nn.Module):
    """Optimized DBlock(128, down), DBlock(128, down), 2 x DBlock(128), ReLU, global sum pool, dense -> 1.

    ``arch`` exists so both architectures' critics take the same arguments; the ResNet has no
    depthwise-separable variant, so `dsn` (which needs one) raises at its first 3x3 conv.
    The blocks are ``blocks``, not ``body``: code that reads dcgan's ``body`` as a flat list of
    slots must use :meth:`slots` instead, not get residual blocks where it expects layers.
    """

    def __init__(
        self, width: float = 1.0, image_size: int = 32, channels: int = 3, norm: str = "sn",
        arch: str = "standard", init: str = "torch",
    ) -> None:
        super().__init__()
        _check_size(image_size)  # any size divisible by 4 would run; multiples of 8 match the generator
        if arch != "standard":
            raise ValueError(f"the resnet critic has no {arch!r} variant; only standard (use the dcgan "
                             "architecture for the separable critic)")
        slots = _Slots(norm, init)
        c = _width(128, width)
        self.blocks = nn.Sequential(
            DBlock(slots, channels, c, down=True, first=True),
            DBlock(slots, c, c, down=True),
            DBlock(slots, c, c, down=False),
            DBlock(slots, c, c, down=False),
        )
        self.head = slots.dense(c, 1, head=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # sum, not mean, pooling: the paper's choice (the score scales with the feature map's area)
        h = torch.relu(self.blocks(x)).sum(dim=(2, 3))
        return self.head(h).squeeze(1)

    def slots(self) -> list[nn.Module]:
        """The normalized layers in slot-index order (1..n, head last)."""
        return [s for block in self.blocks for s in block.slots()] + [self.head]


NETS = (ResNetGenerator, ResNetDiscriminator)  # this architecture's entry in gans.models.NETWORKS
