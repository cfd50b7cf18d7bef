"""Networks: the normalization registry and the DCGAN generator/discriminator built from it."""
from models.dcgan import Discriminator, Generator, count_parameters
from models.norms import NORMS, get_norm

__all__ = ["Discriminator", "Generator", "count_parameters", "NORMS", "get_norm"]
