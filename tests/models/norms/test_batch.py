"""Batch norm (`bn`) and layer norm (`ln`) in their slot."""
import torch
from torch import nn

from gans.models.norms import Slot, get_norm

from tests.models.norms.layers import conv


def test_batch_norm_drops_conv_bias_and_layer_norm_is_per_sample():
    bn = get_norm("bn")(Slot(conv, 6, False))
    assert bn[0].bias is None and isinstance(bn[1], nn.BatchNorm2d)
    ln = get_norm("ln")(Slot(conv, 6, False))
    x = torch.randn(4, 3, 8, 8)
    assert torch.allclose(ln(x)[:1], ln(x[:1]), atol=1e-5)  # no mixing across the batch
