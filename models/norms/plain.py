"""`none`: the bare layer with its bias; the baseline every other norm is compared against."""
from __future__ import annotations

from typing import Callable

from torch import nn


def plain(make: Callable[[bool], nn.Module], channels: int, head: bool) -> nn.Module:
    return make(True)
