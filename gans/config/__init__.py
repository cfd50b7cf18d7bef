"""A run's configuration: the typed options (:mod:`.options`), the named systems (:mod:`.presets`)
and how flags, presets and files resolve into one checked :class:`TrainConfig` (:mod:`.resolve`)."""
from gans.config.options import (ARCHS, INITS, D_ARCHS, D_PASSES, FIELDS, LR_DECAYS, PRECISIONS, RESUMABLE, TrainConfig, choices,
                                 field_name, flag, help_text)
from gans.config.presets import PRESETS, SETTINGS
from gans.config.resolve import from_dict, read_config_file, resolve, resume_config, to_toml, validate

__all__ = ["ARCHS", "INITS", "D_ARCHS", "D_PASSES", "FIELDS", "LR_DECAYS", "PRECISIONS", "PRESETS", "RESUMABLE", "SETTINGS",
           "TrainConfig", "choices", "field_name", "flag", "from_dict", "help_text", "read_config_file", "resolve",
           "resume_config", "to_toml", "validate"]
