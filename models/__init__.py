"""Networks: the normalization registry and the generator/discriminator architectures built from it.

Exports load on first use, so naming the registry (e.g. for `gans --help`) does not import torch.
"""
if __name__ != "gans.models":  # one copy of each class: never importable under a second name
    raise ImportError("import gans.models, not models: this folder is installed as gans.models (pip install -e .)")

from gans.core.registry import Registry, lazy_exports

# Architecture name -> (generator class, critic class). Both pairs take the same arguments:
# G(z_dim, width, image_size, channels, norm) and D(width, image_size, channels, norm, arch=...).
NETWORKS: Registry = Registry(__name__, {"dcgan": ".dcgan:NETS", "resnet": ".resnet:NETS"})

__all__ = ["Discriminator", "Generator", "ResNetDiscriminator", "ResNetGenerator", "NETWORKS",
           "count_parameters", "NORMS", "get_norm"]
__getattr__ = lazy_exports(__name__, {"Discriminator": ".dcgan", "Generator": ".dcgan", "count_parameters": ".dcgan",
                                      "ResNetDiscriminator": ".resnet", "ResNetGenerator": ".resnet",
                                      "NORMS": ".norms", "get_norm": ".norms"})
