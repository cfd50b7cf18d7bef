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
