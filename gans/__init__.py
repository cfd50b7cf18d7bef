"""Core of the toolkit: config, data, trainer, checkpoints, sampling."""
__version__ = "0.1.0"
