"""The scoring function and critic loss the trainer and the diagnostics share."""
import pytest
import torch

from gans.losses import gradient_penalty
from gans.losses.objectives import hinge_d, wgan_d
from gans.losses.passes import critic_loss, critic_scores
from gans.models.dcgan import Discriminator


def test_joint_scores_one_batch_and_separate_two():
    torch.manual_seed(0)
    D = Discriminator(width=1 / 16, image_size=8, norm="bn").train()
    real, fake = torch.randn(3, 3, 8, 8), torch.randn(5, 3, 8, 8) + 1
    d_real, d_fake = critic_scores(D, real, fake, "joint")
    both = D(torch.cat([real, fake]))
    assert torch.equal(d_real, both[:3]) and torch.equal(d_fake, both[3:])
    d_real, d_fake = critic_scores(D, real, fake, "separate")
    assert torch.equal(d_real, D(real)) and torch.equal(d_fake, D(fake))
    assert not torch.allclose(d_real, both[:3])  # BN's batch statistics: the pass mode matters


def test_an_unknown_pass_is_refused():
    with pytest.raises(ValueError, match="separate, joint"):
        critic_scores(torch.nn.Identity(), torch.zeros(1), torch.zeros(1), "both")


def test_critic_loss_is_the_objective_plus_the_penalty_at_the_given_alpha():
    torch.manual_seed(0)
    D = Discriminator(width=1 / 16, image_size=8, norm="none")
    real, fake = torch.randn(4, 3, 8, 8), torch.randn(4, 3, 8, 8) + 1
    scores = critic_scores(D, real, fake, "separate")
    alpha = torch.rand(4)
    loss = critic_loss(wgan_d, D, real, fake, scores, 10.0, alpha)
    assert torch.equal(loss.objective, wgan_d(*scores))
    assert torch.equal(loss.penalty, gradient_penalty(D, real, fake, 10.0, alpha))
    assert torch.equal(loss.total, loss.objective + loss.penalty) and loss.penalty > 0
    other = critic_loss(wgan_d, D, real, fake, scores, 10.0, 1 - alpha)  # alpha is used, not redrawn
    assert not torch.equal(other.penalty, loss.penalty)


def test_critic_loss_without_a_penalty_is_the_objective():
    scores = torch.tensor([0.5, -2.0]), torch.tensor([1.5, 0.0])
    loss = critic_loss(hinge_d, torch.nn.Identity(), torch.zeros(2), torch.zeros(2), scores)
    assert torch.equal(loss.total, hinge_d(*scores)) and loss.penalty.item() == 0


def test_a_penalty_without_alpha_is_refused_rather_than_drawn():
    state = torch.get_rng_state()
    with pytest.raises(ValueError, match="alpha"):
        critic_loss(wgan_d, torch.nn.Identity(), torch.zeros(2, 1), torch.zeros(2, 1),
                    (torch.zeros(2), torch.zeros(2)), 10.0)
    assert torch.equal(torch.get_rng_state(), state)
