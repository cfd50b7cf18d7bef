"""The gradient penalty against gradients derived by hand."""
import torch

from gans.losses import gradient_penalty


def test_penalty_of_quadratic_critic_matches_closed_form():
    # D(x) = a/2 * ||x||^2  =>  grad_x D = a x,  penalty = lam * mean((a ||x_hat|| - 1)^2)
    torch.manual_seed(0)
    a = torch.tensor(0.7, requires_grad=True)
    real, fake = torch.randn(5, 3, 4, 4), torch.randn(5, 3, 4, 4)
    alpha = torch.rand(5)
    pen = gradient_penalty(lambda x: a / 2 * x.pow(2).flatten(1).sum(1), real, fake, weight=10.0, alpha=alpha)
    x_hat = alpha.view(-1, 1, 1, 1) * real + (1 - alpha.view(-1, 1, 1, 1)) * fake
    norms = x_hat.flatten(1).norm(dim=1)
    expected = 10.0 * ((0.7 * norms - 1) ** 2).mean()
    assert torch.allclose(pen, expected, rtol=1e-6)
    # create_graph: the penalty must train the critic; d pen / d a = lam * mean(2 (a n - 1) n)
    pen.backward()
    assert torch.allclose(a.grad, (10.0 * 2 * (0.7 * norms - 1) * norms).mean(), rtol=1e-5)


def test_penalty_is_zero_for_unit_gradient_linear_critic():
    w = torch.randn(48)
    w = w / w.norm()
    real, fake = torch.randn(6, 3, 4, 4), torch.randn(6, 3, 4, 4)
    pen = gradient_penalty(lambda x: x.flatten(1) @ w, real, fake)
    assert pen.abs() < 1e-10
    pen2 = gradient_penalty(lambda x: x.flatten(1) @ (3 * w), real, fake, weight=2.0)
    assert torch.allclose(pen2, torch.tensor(2.0 * (3 - 1) ** 2), rtol=1e-5)


def test_default_interpolates_lie_between_real_and_fake():
    seen = []
    real, fake = torch.zeros(64, 1, 2, 2), torch.ones(64, 1, 2, 2)

    def critic(x):
        seen.append(x.detach())
        return x.flatten(1).sum(1)

    gradient_penalty(critic, real, fake)
    a = seen[0][:, 0, 0, 0]
    assert (a >= 0).all() and (a <= 1).all() and a.std() > 0.1  # uniform, one value per sample
    assert torch.equal(seen[0][:, 0], seen[0][:, 0, :1, :1].expand(-1, 2, 2))
