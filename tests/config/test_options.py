"""Help shows the defaults a run actually gets: for fields the presets set, each preset's value."""
import re

import pytest

from gans.config import resolve
from gans.config.options import FIELDS, help_text, preset_values, shown
from gans.config.presets import PRESETS

PRESET_SET = sorted({name for values in PRESETS.values() for name in values})


def _listing(text: str) -> dict[str, str]:
    """'[default: the preset's: A for p, q; else B]' -> {p: A, q: A, every other preset: B}."""
    listing = re.search(r"\[default: the preset's: (.*)\]$", text).group(1)
    values: dict[str, str] = {}
    rest = None
    for part in listing.split("; "):
        if part.startswith("else "):
            rest = part.removeprefix("else ")
        elif part.endswith(" for every preset"):
            rest = part.removesuffix(" for every preset")
        else:
            value, presets = part.rsplit(" for ", 1)
            values.update({p: value for p in presets.split(", ")})
    return {p: values.get(p, rest) for p in PRESETS}


@pytest.mark.parametrize("name", PRESET_SET)
def test_help_lists_what_every_preset_resolves_to(name):
    listed = _listing(help_text(name))
    assert listed == {p: shown(getattr(resolve({"preset": p}), name)) for p in PRESETS}


def test_betas_help_no_longer_shows_a_default_no_preset_uses():
    text = help_text("betas")
    assert "0.5 0.999" not in text  # the field's own default, which no preset keeps
    assert "0 0.9 for msngan, msngan-seedcode, sngan-seedcode, wgan-gp-ln; else 0.5 0.9" in text


def test_fields_no_preset_sets_keep_their_own_default():
    assert preset_values("steps") is None and help_text("steps").endswith("[default: 100000]")
    assert help_text("width").endswith("[default: 1]")
    assert FIELDS["gp"].type == "bool" and "on for wgan-gp" in help_text("gp")
