"""Data-parallel training over several processes (torchrun), one GPU each or CPU processes on gloo.

Every rank draws the same global batch, noise and penalty mixing weights from the same RNG and
keeps its own shard, so N ranks at batch B/N compute exactly the gradient of one process at batch
B once the shards' gradients are averaged. The averaging is one all-reduce of the flattened
gradients after each backward, rather than DistributedDataParallel's wrapper: DDP's reducer
expects one forward per backward and no double backward, and a critic step has two or three
forwards (real, fake, interpolated) and the penalty's double backward.
"""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from gans.core.collectives import all_reduce_sum, world_size
from gans.core.errors import UserError


@dataclass
class Ranks:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        """Only the main rank writes: checkpoints, grids, logs, evaluations, wandb."""
        return self.rank == 0

    @classmethod
    def from_env(cls, device: str) -> "Ranks":
        """The ranks torchrun set up (WORLD_SIZE > 1), with the process group started; else one."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world == 1:
            return cls()
        rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
        gpu = device != "cpu" and torch.cuda.is_available()
        if gpu:
            torch.cuda.set_device(local)
        if not dist.is_initialized():
            # long evaluations on rank 0 keep the others waiting at the next all-reduce
            dist.init_process_group("nccl" if gpu else "gloo", timeout=datetime.timedelta(hours=6))
        return cls(rank, world, local)

    def device(self, name: str) -> str:
        if self.world > 1 and name != "cpu" and torch.cuda.is_available():
            return f"cuda:{self.local_rank}"
        return name

    def check_batch(self, batch_size: int) -> None:
        if batch_size % self.world:
            raise UserError(f"--batch-size {batch_size} does not split over {self.world} processes; "
                            f"pass a multiple of {self.world}")

    def shard(self, x: torch.Tensor) -> torch.Tensor:
        return x.chunk(self.world)[self.rank] if self.world > 1 else x

    def average_gradients(self, module: nn.Module) -> None:
        if self.world == 1:
            return
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        flat = torch.cat([g.flatten() for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()

    def mean(self, values: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Scalars averaged over ranks (each rank's are over its shard), for the log."""
        if self.world == 1 or not values:
            return values
        flat = torch.stack([v.float() for v in values.values()])
        dist.all_reduce(flat)
        return dict(zip(values, flat / self.world))

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()


class GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Batch norm whose training statistics are over every rank's shard (sum and sum of squares
    all-reduced, differentiably), on any backend: torch's SyncBatchNorm runs on CUDA only. Same
    parameters, buffers and state-dict keys as the BatchNorm it replaces."""

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2-D input, got {input.dim()}-D")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        world = world_size()
        if not self.training or world == 1:
            return super().forward(x)
        dims = [0, *range(2, x.dim())]
        n = x.numel() // x.shape[1] * world
        sums = all_reduce_sum(torch.stack([x.sum(dims), (x * x).sum(dims)]))
        mean = sums[0] / n
        var = sums[1] / n - mean * mean
        with torch.no_grad():
            self.num_batches_tracked += 1
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(var * n / (n - 1), self.momentum)
        shape = (1, -1) + (1,) * (x.dim() - 2)
        y = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        return y * self.weight.view(shape) + self.bias.view(shape) if self.affine else y


def to_global_batch_norm(module: nn.Module) -> nn.Module:
    """``module`` with each BatchNorm1d/2d in it replaced by a GlobalBatchNorm that holds the same
    parameter and buffer tensors (not copies), built the way torch's
    SyncBatchNorm.convert_sync_batchnorm builds its modules; a BatchNorm itself comes back converted."""
    out = module
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        out = GlobalBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                              module.track_running_stats)
        if module.affine:
            out.weight, out.bias = module.weight, module.bias
        out.running_mean, out.running_var = module.running_mean, module.running_var
        out.num_batches_tracked = module.num_batches_tracked
        out.train(module.training)
    for name, child in module.named_children():
        setattr(out, name, to_global_batch_norm(child))
    return out


def sync_batch_statistics(model: nn.Module, ranks: Ranks) -> nn.Module:
    """--sync-norm: ``model`` with BN and MSN layers that take their batch statistics over every
    rank's shard, as one process at the whole batch would (the generator's BN as much as the critic's)."""
    from gans.models.norms import MeanNorm

    if ranks.world == 1:
        return model
    for m in model.modules():
        if isinstance(m, MeanNorm):
            m.sync = True
    return to_global_batch_norm(model)
