"""The generator's and the critic's init are separable (a search tells which network an init helps);
sngan-paper sets neither init, so the flags alone decide here."""
import torch

from gans.config import resolve
from gans.runs.networks import build_discriminator, build_generator


def _conv_std(net: torch.nn.Module) -> float:
    return next(m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))).weight.std().item()


def test_g_init_sets_the_generator_alone_and_defaults_to_init():
    torch.manual_seed(0)
    split = resolve({"preset": "sngan-paper", "width": 0.25, "init": "torch", "g_init": "normal02", "device": "cpu"})
    assert abs(_conv_std(build_generator(split)) - 0.02) < 0.002
    assert abs(_conv_std(build_discriminator(split)) - 0.02) > 0.01  # PyTorch's kaiming-uniform, not N(0, 0.02)
    both = resolve({"preset": "sngan-paper", "width": 0.25, "init": "normal02", "device": "cpu"})
    assert both.generator_init == "normal02" and abs(_conv_std(build_generator(both)) - 0.02) < 0.002


def test_a_bad_g_init_is_refused_and_unset_is_allowed():
    import pytest

    from gans.core.errors import UserError

    with pytest.raises(UserError, match="--g-init"):
        resolve({"preset": "sngan-paper", "g_init": "xavier", "device": "cpu"})
    assert resolve({"preset": "sngan-paper", "device": "cpu"}).g_init == ""
