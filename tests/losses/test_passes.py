"""The one scoring function the trainer and the diagnostics share."""
import pytest
import torch

from gans.losses.passes import critic_scores
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
