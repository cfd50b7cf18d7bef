import pytest
import torch

from gans.models import NORMS, Discriminator, Generator, count_parameters
from gans.models.norms import MeanNorm

# dsn bounds only depthwise and 1x1 convs: the critic needs the separable arch, and the generator's
# transposed convs are neither, so its generator here keeps bn
SEPARABLE_ONLY = {"dsn"}


def _arch(norm: str) -> str:
    return "separable" if norm in SEPARABLE_ONLY else "standard"


@pytest.mark.parametrize("norm", list(NORMS))
@pytest.mark.parametrize("size,channels", [(32, 3), (16, 1)])
def test_shapes_in_train_and_eval(norm, size, channels):
    g_norm = "bn" if norm in SEPARABLE_ONLY else norm
    G = Generator(z_dim=8, width=1 / 16, image_size=size, channels=channels, norm=g_norm)
    D = Discriminator(width=1 / 16, image_size=size, channels=channels, norm=norm, arch=_arch(norm))
    z = torch.randn(4, 8)
    for mode in (True, False):
        G.train(mode), D.train(mode)
        x = G(z)
        assert x.shape == (4, channels, size, size)
        assert x.abs().max() <= 1
        assert D(x).shape == (4,)


def test_full_width_architecture_matches_sngan_table3():
    D = Discriminator(norm="none")
    convs = [m for m in D.body if isinstance(m, torch.nn.Conv2d)]
    assert [(c.kernel_size[0], c.stride[0], c.out_channels) for c in convs] == [
        (3, 1, 64), (4, 2, 64), (3, 1, 128), (4, 2, 128), (3, 1, 256), (4, 2, 256), (3, 1, 512)]
    assert D.head.in_features == 4 * 4 * 512
    dense = Generator().dense[0]  # G's default norm is bn: (Linear, BatchNorm1d)
    assert (dense.in_features, dense.out_features) == (128, 4 * 4 * 512)


@pytest.mark.parametrize("norm", list(NORMS))
def test_state_dict_round_trip(norm):
    torch.manual_seed(0)
    a = Discriminator(width=1 / 16, image_size=16, norm=norm, arch=_arch(norm))
    x = torch.randn(6, 3, 16, 16)
    a(x)  # moves running stats and power-iteration vectors away from their initial values
    torch.manual_seed(1)
    b = Discriminator(width=1 / 16, image_size=16, norm=norm, arch=_arch(norm))
    b.load_state_dict(a.state_dict())
    a.eval(), b.eval()
    assert torch.equal(a(x), b(x))


def test_parameter_counts_bn_has_more_than_msn_and_sn():
    counts = {n: count_parameters(Discriminator(norm=n)) for n in ("bn", "sn", "msn")}
    assert counts["bn"] > counts["msn"] == counts["sn"]


def test_msn_critic_scores_are_not_centred():
    torch.manual_seed(0)
    D = Discriminator(width=1 / 16, image_size=16, norm="msn")
    assert any(isinstance(m, MeanNorm) for m in D.modules())
    real, fake = torch.randn(8, 3, 16, 16), torch.randn(8, 3, 16, 16) * 3 + 1
    assert (D(real).mean() - D(fake).mean()).abs() > 1e-4
