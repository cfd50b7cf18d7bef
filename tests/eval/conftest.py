"""Random-weight Inception files in the real formats (no download is possible in tests)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from eval.inception import FIDELITY_FILE, _bare_fidelity_net


def random_inception(seed: int = 0):
    """torch-fidelity's network with random weights and BN statistics calibrated on random images,
    so activations keep a sensible scale through all 94 layers (raw init makes them vanish)."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    torch.manual_seed(seed)
    net = _bare_fidelity_net(FeatureExtractorInceptionV3)
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for bn in bns:
        bn.train()
        bn.momentum = None  # cumulative average: one batch sets the statistics exactly
    with torch.no_grad():
        net(torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8))
    for bn in bns:
        bn.eval()
    return net.eval()


@pytest.fixture(scope="session")
def inception_files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inception")
    net = random_inception()
    files = {"torch-fidelity": root / FIDELITY_FILE, "pytorch-fid": root / "pt_inception-2015-12-05-6726825d.pth"}
    for path in files.values():
        torch.save(net.state_dict(), path)
    return files


class NvidiaStyle(torch.nn.Module):
    """The contract of NVIDIA's inception-2015-12-05.pt: 0-255 input of any size, resizing inside,
    forward(img, return_features, use_fp16, no_output_bias) -> 2048 features or class probabilities."""

    def __init__(self, core):
        super().__init__()
        self.core = core

    def forward(self, img: torch.Tensor, return_features: bool = False, use_fp16: bool = False,
                no_output_bias: bool = False) -> torch.Tensor:
        pool, logits = self.core(img.round().clamp(0, 255).to(torch.uint8))
        if return_features:
            return pool
        return torch.softmax(logits, dim=1)


def feature_layers(net) -> torch.nn.Sequential:
    """The pool-feature part of the network: input 299x299 in (x-128)/128, output 2048-d."""
    names = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "MaxPool_1", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
             "MaxPool_2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
             "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "AvgPool"]
    return torch.nn.Sequential(*[getattr(net, n) for n in names], torch.nn.Flatten())


@pytest.fixture(scope="session")
def torchscript_files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inception_ts")
    net = random_inception()
    with torch.no_grad():
        core = torch.jit.trace(net, torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8), check_trace=False)
        torch.jit.script(NvidiaStyle(core)).save(str(root / "inception-2015-12-05.pt"))
        feats = torch.jit.trace(feature_layers(net), torch.randn(1, 3, 299, 299))
        feats.save(str(root / "inception_features.pt"))
    return {"nvidia-torchscript": root / "inception-2015-12-05.pt",
            "torchscript-features": root / "inception_features.pt"}
