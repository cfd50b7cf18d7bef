"""--sync-norm's batch norm: a conversion that builds new modules (no class swapping), and batch
statistics over ranks equal to one batch norm over the whole batch."""
import copy

import pytest
import torch
from torch import nn

from gans.training import distributed
from gans.training.distributed import GlobalBatchNorm, Ranks, sync_batch_statistics, to_global_batch_norm


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(),
                        nn.Sequential(nn.Linear(4 * 6 * 6, 5), nn.BatchNorm1d(5)))
    with torch.no_grad():
        net(torch.randn(6, 3, 8, 8))  # running statistics away from their initial values
    return net


def test_conversion_builds_new_modules_holding_the_same_tensors():
    net = _net()
    bns = [net[1], net[3][1]]
    before = {k: v.clone() for k, v in net.state_dict().items()}
    out = to_global_batch_norm(net)
    assert out is net  # a container is kept; only its batch-norm children are replaced
    assert [type(m) for m in (out[1], out[3][1])] == [GlobalBatchNorm, GlobalBatchNorm]
    assert [type(m) for m in bns] == [nn.BatchNorm2d, nn.BatchNorm1d]  # the originals are untouched
    for new, old in zip((out[1], out[3][1]), bns):
        assert new.weight is old.weight and new.bias is old.bias  # an optimizer built before still holds them
        assert new.running_mean is old.running_mean and new.num_batches_tracked is old.num_batches_tracked
        assert (new.eps, new.momentum, new.training) == (old.eps, old.momentum, old.training)
    assert list(out.state_dict()) == list(before)
    assert all(torch.equal(out.state_dict()[k], v) for k, v in before.items())
    lone = nn.BatchNorm2d(3).eval()
    converted = to_global_batch_norm(lone)
    assert type(converted) is GlobalBatchNorm and not converted.training


@pytest.mark.parametrize("train", [True, False])
def test_one_process_gives_batch_norms_outputs(train):
    net = _net()
    ref = copy.deepcopy(net)
    out = to_global_batch_norm(net).train(train)
    ref.train(train)
    x = torch.randn(6, 3, 8, 8)
    assert torch.allclose(out(x), ref(x), atol=1e-6)
    assert torch.allclose(out[1].running_var, ref[1].running_var)


def test_statistics_over_two_ranks_equal_batch_norm_over_both_shards(monkeypatch):
    """Two ranks holding the same shard, the all-reduce stood in for by doubling: outputs, running
    statistics and gradients equal one BatchNorm over both shards concatenated."""
    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    monkeypatch.setattr(distributed, "all_reduce_sum", lambda t: t * 2)
    torch.manual_seed(1)
    ref = nn.BatchNorm2d(4)
    with torch.no_grad():
        ref.weight.uniform_(0.5, 1.5)
        ref.bias.uniform_(-1, 1)
    ours = to_global_batch_norm(copy.deepcopy(ref))
    x, upstream = torch.randn(3, 4, 5, 5) * 2 + 1, torch.randn(3, 4, 5, 5)
    mine = x.clone().requires_grad_(True)
    y = ours(mine)
    (y * upstream).sum().backward()
    both = [x.clone().requires_grad_(True), x.clone().requires_grad_(True)]
    y_ref = ref(torch.cat(both))
    (y_ref * torch.cat([upstream, upstream])).sum().backward()
    assert torch.allclose(y, y_ref[:3], atol=1e-5)
    assert torch.allclose(ours.running_mean, ref.running_mean, atol=1e-6)
    assert torch.allclose(ours.running_var, ref.running_var, atol=1e-6)  # unbiased over both shards
    assert torch.allclose(mine.grad, both[0].grad, atol=1e-5)
    # each rank holds its own shard's weight gradient; the trainer's all-reduce sums them
    assert torch.allclose(2 * ours.weight.grad, ref.weight.grad, atol=1e-4)


def test_sync_batch_statistics_leaves_one_process_alone():
    net = _net()
    assert sync_batch_statistics(net, Ranks()) is net and type(net[1]) is nn.BatchNorm2d
