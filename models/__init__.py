"""Networks: the normalization registry and the DCGAN generator/discriminator built from it.

Exports load on first use, so naming the registry (e.g. for `gans --help`) does not import torch.
"""
if __name__ != "gans.models":  # one copy of each class: never importable under a second name
    raise ImportError("import gans.models, not models: this folder is installed as gans.models (pip install -e .)")

from gans.registry import lazy_exports

__all__ = ["Discriminator", "Generator", "count_parameters", "NORMS", "get_norm"]
__getattr__ = lazy_exports(__name__, {"Discriminator": ".dcgan", "Generator": ".dcgan", "count_parameters": ".dcgan",
                                      "NORMS": ".norms", "get_norm": ".norms"})
