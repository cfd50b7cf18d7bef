"""Sampling: latents independent of batch size; interpolation rows start and end at their latents."""
import torch

from gans.runs.sampling import generate, interpolation, slerp
from gans.runs.networks import build_generator, to_uint8


def test_images_do_not_depend_on_batch_size(tiny_cfg):
    G = build_generator(tiny_cfg()).eval()
    whole = torch.cat(list(generate(G, 40, seed=3, batch_size=40)))
    chunked = torch.cat(list(generate(G, 40, seed=3, batch_size=7)))
    assert torch.equal(whole, chunked)
    assert not torch.equal(whole, torch.cat(list(generate(G, 40, seed=4))))


def test_slerp_keeps_ends_and_norm():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(5, 64, generator=g), torch.randn(5, 64, generator=g)
    path = slerp(a, b, torch.linspace(0, 1, 7))
    assert torch.allclose(path[:, 0], a, atol=1e-5) and torch.allclose(path[:, -1], b, atol=1e-5)
    # on the great circle: the norm stays between the ends' (equal norms would stay constant)
    c = b / b.norm(dim=1, keepdim=True) * a.norm(dim=1, keepdim=True)
    norms = slerp(a, c, torch.linspace(0, 1, 7)).norm(dim=-1)
    assert torch.allclose(norms, a.norm(dim=1, keepdim=True).expand_as(norms), rtol=1e-5)
    same = slerp(a, a, torch.linspace(0, 1, 3))  # parallel ends do not divide by zero
    assert torch.isfinite(same).all() and torch.allclose(same[:, 1], a, atol=1e-5)


def test_interpolation_rows_walk_between_two_latents(tiny_cfg):
    G = build_generator(tiny_cfg()).eval()
    walk = interpolation(G, rows=3, steps=5, seed=1).reshape(3, 5, *G(torch.zeros(1, G.z_dim)).shape[1:])
    ends = torch.randn(2, 3, G.z_dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        first, last = to_uint8(G(ends[0])), to_uint8(G(ends[1]))
    assert (walk[:, 0].int() - first.int()).abs().max() <= 1
    assert (walk[:, -1].int() - last.int()).abs().max() <= 1
    assert not torch.equal(walk[:, 2], walk[:, 0])
