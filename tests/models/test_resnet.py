import pytest
import torch
from torch import nn

from gans.models import NETWORKS, NORMS, Discriminator, Generator, ResNetDiscriminator, ResNetGenerator
from gans.models import count_parameters, resnet
from gans.models.norms import Slot, get_norm

# dsn bounds only depthwise and 1x1 convs, and the ResNet has dense 3x3 convs everywhere
SEPARABLE_ONLY = {"dsn"}
Z = 16


@pytest.mark.parametrize("width", [0.25, 1.0])
def test_shapes(width):
    torch.manual_seed(0)
    G, D = ResNetGenerator(z_dim=Z, width=width), ResNetDiscriminator(width=width)
    x = G(torch.randn(4, Z))
    assert x.shape == (4, 3, 32, 32) and x.abs().max() <= 1
    assert D(x).shape == (4,)


@pytest.mark.parametrize("size,channels", [(16, 1), (48, 3)])
def test_other_sizes_and_channels(size, channels):
    G = ResNetGenerator(z_dim=Z, width=1 / 16, image_size=size, channels=channels)
    D = ResNetDiscriminator(width=1 / 16, image_size=size, channels=channels)
    x = G(torch.randn(2, Z))
    assert x.shape == (2, channels, size, size) and D(x).shape == (2,)


def test_bad_size_and_arch_are_value_errors():
    for make in (lambda: ResNetGenerator(image_size=20), lambda: ResNetDiscriminator(image_size=20)):
        with pytest.raises(ValueError, match="multiple of 8"):
            make()
    with pytest.raises(ValueError, match="separable"):
        ResNetDiscriminator(arch="separable")


def test_parameter_counts_match_mimicry_sngan_32():
    # Mimicry's ResNetGenerator32 / ResNetDiscriminator32: 4,276,739 and 1,053,825
    g, d = count_parameters(ResNetGenerator(norm="bn")), count_parameters(ResNetDiscriminator(norm="sn"))
    assert g == pytest.approx(4.3e6, rel=0.05) and d == pytest.approx(1.06e6, rel=0.05)
    assert (g, d) == (4_279_555, 1_053_825)


@pytest.mark.parametrize("norm", list(NORMS))
def test_every_norm_builds_a_critic_that_trains(norm):
    if norm in SEPARABLE_ONLY:
        with pytest.raises(ValueError, match="depthwise"):
            ResNetDiscriminator(width=1 / 16, norm=norm)
        return
    torch.manual_seed(0)
    D = ResNetDiscriminator(width=1 / 16, image_size=16, norm=norm)
    x = torch.randn(4, 3, 16, 16)
    D(x).sum().backward()
    assert all(p.grad is not None for p in D.parameters())
    D.eval()
    assert D(x).shape == (4,)


@pytest.mark.parametrize("norm", [n for n in NORMS if n not in SEPARABLE_ONLY])
def test_every_norm_builds_a_generator(norm):
    G = ResNetGenerator(z_dim=Z, width=1 / 16, image_size=16, norm=norm)
    for mode in (True, False):
        G.train(mode)
        assert G(torch.randn(4, Z)).shape == (4, 3, 16, 16)


def _recorded(monkeypatch, build) -> list[Slot]:
    seen: list[Slot] = []
    plain = get_norm("none")
    monkeypatch.setattr(resnet, "get_norm", lambda spec, init="torch": lambda slot: seen.append(slot) or plain(slot))
    net = build()
    for slot, layer in zip(seen, [s for s in net.modules() if isinstance(s, (nn.Conv2d, nn.Linear))]):
        out = layer.out_channels if isinstance(layer, nn.Conv2d) else layer.out_features
        assert slot.channels == out  # slots are numbered in module order, and say the layer's width
    return seen


@pytest.mark.parametrize("build,n", [(lambda: ResNetDiscriminator(width=1 / 16), 11),
                                     (lambda: ResNetGenerator(z_dim=Z, width=1 / 16), 11)])
def test_slot_indices_run_one_to_n_with_the_head_last(monkeypatch, build, n):
    seen = _recorded(monkeypatch, build)
    assert [s.index for s in seen] == list(range(1, n + 1))
    assert [s.head for s in seen] == [False] * (n - 1) + [True]


def test_critic_slots_list_the_normalized_layers_in_index_order(monkeypatch):
    n = len(_recorded(monkeypatch, lambda: ResNetDiscriminator(width=1 / 16)))
    monkeypatch.undo()
    D = ResNetDiscriminator(width=1 / 16)
    layers = D.slots()
    assert len(layers) == n and layers[-1] is D.head
    shapes = [tuple(s.weight.shape) for s in layers]
    assert shapes[:3] == [(8, 3, 3, 3), (8, 8, 3, 3), (8, 3, 1, 1)]  # optimized block: c1, c2, shortcut
    assert [len(shape) for shape in shapes[3:]] == [4] * 7 + [2]  # shortcut only in the 2nd block
    dcgan = Discriminator(width=1 / 16)
    assert len(dcgan.slots()) == 8 and dcgan.slots()[-1] is dcgan.head


def test_sn_critic_scores_each_sample_on_its_own():
    torch.manual_seed(0)
    D = ResNetDiscriminator(width=0.25, norm="sn")
    x = torch.randn(6, 3, 32, 32)
    with torch.no_grad():
        D.eval()  # no power iteration between the two calls
        assert torch.allclose(D(x)[:2], D(x[:2]), atol=1e-5)
        assert torch.allclose(D(x)[:2], D(torch.cat([x[:2], -x[2:]]))[:2], atol=1e-5)


def test_generator_eval_mode_is_deterministic_and_per_sample():
    torch.manual_seed(0)
    G = ResNetGenerator(z_dim=Z, width=0.25)
    G(torch.randn(8, Z))  # moves BN's running statistics off their initial values
    G.eval()
    z = torch.randn(4, Z)
    with torch.no_grad():
        assert torch.equal(G(z), G(z))
        assert torch.allclose(G(z)[:2], G(z[:2]), atol=1e-6)


@pytest.mark.parametrize("norm", ["none", "bn", "sn"])
def test_layers_can_be_reinitialized(norm):
    # what an --init option will do: rewrite each conv/dense weight (the raw one under a parametrization)
    torch.manual_seed(0)
    D = ResNetDiscriminator(width=1 / 16, image_size=16, norm=norm).eval()
    x = torch.randn(2, 3, 16, 16)
    before = D(x)
    for m in D.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            weight = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
            nn.init.orthogonal_(weight.data)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    assert not torch.allclose(before, D(x))


def test_networks_registry_picks_an_architecture_by_name():
    assert list(NETWORKS) == ["dcgan", "resnet"]
    assert NETWORKS["dcgan"] == (Generator, Discriminator)
    assert NETWORKS["resnet"] == (ResNetGenerator, ResNetDiscriminator)
    for G_cls, D_cls in NETWORKS.values():  # one call works for both
        G = G_cls(Z, 1 / 16, 16, 3, "bn")
        D = D_cls(1 / 16, 16, 3, "sn", arch="standard")
        assert D(G(torch.randn(2, Z))).shape == (2,)
