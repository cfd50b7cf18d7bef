"""Random-weight Inception files in the real formats (no download is possible in tests); the
fixtures are shared through tests/conftest.py."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gans.eval.fidelity_net import feature_layers, random_inception
from gans.eval.inception import FIDELITY_FILE


@pytest.fixture(scope="session")
def inception_files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inception")
    net = random_inception()
    files = {"torch-fidelity": root / FIDELITY_FILE, "pytorch-fid": root / "pt_inception-2015-12-05-6726825d.pth"}
    torch.save(net.state_dict(), files["torch-fidelity"])
    torch.save(pytorch_fid_state(net.state_dict()), files["pytorch-fid"])
    return files


def pytorch_fid_state(state: dict) -> dict:
    """The same weights held by pytorch-fid's own network (its fid_inception_v3, built without its
    download), saved as its state dict: the file has pytorch-fid's real key names and layout."""
    from unittest import mock

    import pytorch_fid.inception as pfi

    with mock.patch.object(pfi, "load_state_dict_from_url", lambda *a, **k: None), \
            mock.patch.object(torch.nn.Module, "load_state_dict", lambda *a, **k: None):
        net = pfi.fid_inception_v3()
    net.load_state_dict(state, strict=True)
    return {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}


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
