"""`bssn` / `ssn`: (bidirectional) scaled spectral normalization (Lin et al. 2021, "Why spectral
normalization stabilizes GANs: analysis and improvements"; reference code fjxmlzn/BSN).

For a conv weight W (out, in, k, k), sigma1 is the largest singular value of W reshaped to
(out, in*k*k) (what `sn` divides by) and sigma2 that of W reshaped to (in, out*k*k) (the transpose
direction, which SN ignores). The layer uses

* ``bssn``: ``c * W / ((sigma1 + sigma2) / 2)``;
* ``ssn``:  ``c * W / sigma1`` (SN with the paper's scale).

For a dense layer the two reshapes are W and W^T, so sigma1 == sigma2 and `bssn` is `ssn`.

What it bounds: with c = 1, `ssn` bounds what `sn` bounds (the reshaped matrix's norm by 1); `bssn`
bounds the average of the two reshapes' norms by c, so each of them by at most 2c. Neither bounds a
conv's operator norm (that can exceed both by up to the kernel size). The scale c (BSN sweeps 0.7 to
4.0) undoes SN's shrinking of gradients in deep critics; c > 1 loosens the bound by c per layer.

Cost: one power iteration per reshape per training forward (two matrix-vector products each, so
`bssn` is twice `sn`), no extra parameters; the u/v vectors of both reshapes are buffers in the state
dict, so a checkpoint resumes the estimate exactly. In eval mode the vectors are not updated. Every
layer, the head included, is normalized, as in the reference code.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrize import register_parametrization

from gans.models.norms.spectral import full_precision


def output_dim(layer: nn.Module) -> int:
    """The weight dimension that indexes output units: 1 for transposed convs, else 0."""
    return 1 if isinstance(layer, nn.modules.conv._ConvTransposeNd) else 0


class ScaledSpectral(nn.Module):
    """Parametrization ``W -> c * W / sigma``; sigma from one power iteration per reshape per
    training forward, differentiated through W as ``u^T W v`` (like torch's spectral_norm)."""

    def __init__(self, weight: torch.Tensor, c: float, bidirectional: bool, out_dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        self.c, self.bidirectional, self.out_dim, self.eps = float(c), bidirectional, out_dim, eps
        with torch.no_grad():
            for i, mat in enumerate(self.matrices(weight), start=1):
                self.register_buffer(f"_u{i}", F.normalize(mat.new_empty(mat.shape[0]).normal_(), dim=0, eps=eps))
                self.register_buffer(f"_v{i}", F.normalize(mat.new_empty(mat.shape[1]).normal_(), dim=0, eps=eps))
            self._power_iteration(weight, 15)  # start from good estimates, as torch's spectral_norm does

    def matrices(self, weight: torch.Tensor) -> list[torch.Tensor]:
        rows = weight.movedim(self.out_dim, 0)  # (out, in, ...)
        mats = [rows.reshape(rows.shape[0], -1)]
        if self.bidirectional:
            mats.append(rows.transpose(0, 1).reshape(rows.shape[1], -1))
        return mats

    @torch.no_grad()
    def _power_iteration(self, weight: torch.Tensor, steps: int) -> None:
        for i, mat in enumerate(self.matrices(weight), start=1):
            u, v = getattr(self, f"_u{i}"), getattr(self, f"_v{i}")
            for _ in range(steps):
                v.copy_(F.normalize(mat.t() @ u, dim=0, eps=self.eps))
                u.copy_(F.normalize(mat @ v, dim=0, eps=self.eps))

    def sigmas(self, weight: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i, mat in enumerate(self.matrices(weight), start=1):
            # clones: a later training forward updates the buffers in place, after this graph saved them
            u, v = getattr(self, f"_u{i}").clone(), getattr(self, f"_v{i}").clone()
            out.append(torch.dot(u, mat @ v))
        return out

    @full_precision
    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        if self.training:
            self._power_iteration(weight, 1)
        sigmas = self.sigmas(weight)
        return weight * (self.c / (sum(sigmas) / len(sigmas)))

    def extra_repr(self) -> str:
        return f"c={self.c}, bidirectional={self.bidirectional}"


def scaled(layer: nn.Module, c: float, bidirectional: bool) -> nn.Module:
    if isinstance(c, bool) or not isinstance(c, (int, float)) or not c > 0:
        raise ValueError(f"c must be a number > 0 (BSN sweeps 0.7 to 4.0), got {c!r}")
    norm = ScaledSpectral(layer.weight.detach(), c, bidirectional, output_dim(layer))
    register_parametrization(layer, "weight", norm)
    return layer


def bidirectional_spectral_norm(slot, *, c: float = 1.0) -> nn.Module:
    return scaled(slot.make(True), c, bidirectional=True)


def scaled_spectral_norm(slot, *, c: float = 1.0) -> nn.Module:
    return scaled(slot.make(True), c, bidirectional=False)
