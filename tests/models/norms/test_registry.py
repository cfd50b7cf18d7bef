"""The registry every layer goes through: spec parsing, errors, heads, and every norm training a critic."""
import subprocess
import sys

import pytest
import torch
from torch import nn

from gans.models import Discriminator
from gans.models.norms import NORMS, MeanNorm, Slot, get_norm, parse_spec

from tests.models.norms.layers import arch

NEW = ["bssn", "ssn", "bssn:c=2", "wn", "wn:init=data", "wn:init=none", "cwn", "dsn"]


def test_spec_parsing():
    assert parse_spec("msn:layers=4+6+7,gamma=true") == ("msn", {"layers": (4, 6, 7), "gamma": True})
    assert parse_spec("sn") == ("sn", {})
    assert parse_spec("x:c=1.5,n=2,mode=fast") == ("x", {"c": 1.5, "n": 2, "mode": "fast"})
    with pytest.raises(ValueError, match="has no option 'c'"):
        get_norm("sn:c=2")


@pytest.mark.parametrize("norm", list(NORMS))
def test_head_never_uses_batch_statistics(norm):
    head = get_norm(norm)(Slot(lambda b: nn.Linear(10, 1, bias=b), 1, True))
    assert not any(isinstance(m, (nn.BatchNorm1d, MeanNorm, nn.GroupNorm)) for m in head.modules())


def test_unknown_norm_lists_choices():
    with pytest.raises(ValueError, match="bn, sn, msn"):
        get_norm("weird")


@pytest.mark.parametrize("spec", ["bssn:c=0", "bssn:c=-1", "ssn:c=fast", "wn:init=lsuv", "dsn:grid=2.5"])
def test_bad_option_values_are_value_errors(spec):
    with pytest.raises(ValueError, match=spec.split(":")[0]):
        get_norm(spec)


@pytest.mark.parametrize("norm", NEW)
def test_every_new_norm_trains_a_critic(norm):
    torch.manual_seed(0)
    D = Discriminator(width=1 / 16, image_size=16, norm=norm, arch=arch(norm))
    x = torch.randn(4, 3, 16, 16)
    D.train()
    loss = D(x).mean() - D(x.flip(0) * 0.5).mean()  # two forwards, one backward, like a critic step
    loss.backward()
    grads = [p.grad for p in D.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0
    D.eval()
    assert torch.isfinite(D(x)).all()


def test_the_registry_stays_torch_free():
    code = "import sys, gans.models.norms as n; list(n.NORMS); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
