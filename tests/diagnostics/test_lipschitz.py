"""Per-sample input gradients against a sample-by-sample computation with the rest of the batch fixed."""
import pytest
import torch

from gans.diagnostics.layers import measurement_mode
from gans.diagnostics.lipschitz import coupled, jacobian_blocks
from gans.losses.passes import critic_scores
from gans.models.dcgan import Discriminator


def _critic(norm: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return measurement_mode(Discriminator(width=1 / 16, image_size=8, norm=norm))  # fp32: spectral norm runs in fp32


def _own_by_hand(D, real, fake, d_pass, i) -> float:
    """||dD(x_i)/dx_i||: a fresh pass per sample, only x_i a leaf, every other sample a constant."""
    x = torch.cat([real, fake]).detach()
    xi = x[i].clone().requires_grad_(True)
    rows = torch.cat([x[:i], xi[None], x[i + 1:]])
    scores = torch.cat(critic_scores(D, rows[:len(real)], rows[len(real):], d_pass))
    (g,) = torch.autograd.grad(scores[i], xi)
    return float(g.norm())


@pytest.mark.parametrize("norm,d_pass", [("bn", "separate"), ("bn", "joint"), ("msn", "joint"), ("sn", "separate")])
def test_per_sample_blocks_equal_the_sample_by_sample_gradient(norm, d_pass):
    D = _critic(norm)
    gen = torch.Generator().manual_seed(1)
    real = torch.randn(4, 3, 8, 8, generator=gen, requires_grad=True)
    fake = torch.randn(4, 3, 8, 8, generator=gen, requires_grad=True)
    picks = [0, 2, 5, 7]
    own, summed = jacobian_blocks(torch.cat(critic_scores(D, real, fake, d_pass)), [real, fake], picks,
                                  mixing=coupled(D))
    assert own.tolist() == pytest.approx([_own_by_hand(D, real, fake, d_pass, i) for i in picks], rel=1e-4)
    scores = torch.cat(critic_scores(D, real, fake, d_pass))
    by_sum = torch.cat(torch.autograd.grad(scores.sum(), [real, fake])).flatten(1).norm(dim=1)
    assert summed.tolist() == pytest.approx(by_sum.tolist(), rel=1e-4)
    if norm == "sn":  # samples independent: the cross terms vanish, the two agree
        assert not coupled(D) and own.tolist() == pytest.approx(summed[picks].tolist(), rel=1e-4)
    else:  # batch statistics couple the samples: the summed gradient adds cross terms
        assert coupled(D) and own.tolist() != pytest.approx(summed[picks].tolist(), rel=1e-3)


def test_uncoupled_shortcut_equals_the_exact_blocks():
    D = _critic("sn")
    x = torch.randn(6, 3, 8, 8, requires_grad=True)
    exact = jacobian_blocks(D(x), [x], [1, 4], mixing=True)
    short = jacobian_blocks(D(x), [x], [1, 4], mixing=False)
    assert torch.allclose(exact[0], short[0]) and torch.allclose(exact[1], short[1])


def test_coupling_follows_the_mode():
    D = _critic("bn")
    assert coupled(D)
    assert not coupled(D.eval())  # running statistics: every sample on its own
