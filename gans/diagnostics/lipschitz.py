"""The critic's input gradients, per sample, with the batch scored as training scores it.

With batch statistics (BN, MSN in train mode) one sample's score depends on every sample of its
batch, and on one batch of real and fake together with ``--d-pass joint``. Two numbers follow:

* per sample: ||dD(x_i)/dx_i||, the other samples of the batch held fixed; x_i still moves its
  batch's statistics, and that path is included. It is the diagonal block of the Jacobian of the
  batch's scores, taken exactly: the row of the Jacobian of D(x_i), one backward per sample, for
  a few picked samples of each kind (``PICKS`` in the diagnoser);
* summed: ||d(sum_j D(x_j))/dx_i||, what autograd of a summed output gives (the gradient penalty
  takes this one), which adds the cross terms dD(x_j)/dx_i; one backward, every sample.

Without batch statistics in train mode the two agree (the cross terms vanish), and one plain
backward of the sum gives both.
"""
from __future__ import annotations

import torch
from torch import nn

from gans.diagnostics.layers import batch_statistic


def coupled(critic: nn.Module) -> bool:
    """Whether one sample's score depends on the other samples of its batch: a batch-statistic norm
    in train mode (the only modules of these critics that mix samples)."""
    return any(batch_statistic(m) and m.training for m in critic.modules())


def jacobian_blocks(outputs: torch.Tensor, inputs: list[torch.Tensor], picks: list[int], mixing: bool = True,
                    retain_graph: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """For scores ``outputs`` (M,) of the rows of ``inputs`` concatenated in order (M rows in all):
    (||d outputs[i] / d row i|| for i in picks, ||d sum(outputs) / d row j|| for every j). With
    ``mixing=False`` (samples independent) the first is read off the summed gradient, at the same
    picks, so a critic's estimate is a max over as many samples whichever way it was computed."""
    flat = outputs.reshape(-1)

    def rows(scalar: torch.Tensor, keep: bool) -> torch.Tensor:
        grads = torch.autograd.grad(scalar, inputs, retain_graph=keep, allow_unused=True)
        return torch.cat([torch.zeros_like(x) if g is None else g for g, x in zip(grads, inputs)])

    summed = rows(flat.sum(), retain_graph or mixing).flatten(1).norm(dim=1)
    if not mixing:
        return summed[picks], summed
    # one backward per picked sample: a batched (vmap) backward cost more on CPU than the loop
    own = [rows(flat[i], retain_graph or n < len(picks) - 1)[i].norm() for n, i in enumerate(picks)]
    return torch.stack(own), summed
