"""The one registry every normalized layer goes through.

A norm is a function ``build(slot, **options) -> nn.Module``. The :class:`Slot` says what is being
normalized:

* ``slot.make(bias)`` constructs the bare linear map (a conv or a dense layer) with or without a
  bias, so each norm decides whether the layer keeps its own bias (BN and MSN replace it);
* ``slot.channels`` is the layer's output width;
* ``slot.head`` is True for a network's final layer (the critic's scalar output, the generator's
  RGB conv). Batch statistics must never touch a critic's output: centring D(x) over the batch
  would make ``D(real).mean() - D(fake).mean()`` identically zero;
* ``slot.index`` is the layer's 1-based position in its network (the critic's convs are 1..7, its
  head 8), for norms that act only at some layers (``msn:layers=4+6+7``).

Options are keyword-only arguments of the function, given in a spec string
``NAME[:key=value,key=value]``, e.g. ``msn:layers=seed`` or ``msn:gamma=true``. A value is an int,
a float, ``true``/``false``, a ``+``-joined list of ints, or a word.

Adding a normalization = one small file here + one line in ``NORMS``.
"""
from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from gans.core.registry import Registry, lazy_exports

if TYPE_CHECKING:
    from torch import nn

MakeLayer = Callable[[bool], "nn.Module"]
Norm = Callable[..., "nn.Module"]


class Slot(NamedTuple):
    make: MakeLayer
    channels: int
    head: bool
    index: int = 0


NORMS: Registry = Registry(__name__, {
    "bn": ".batch:batch_norm",
    "sn": ".spectral:spectral_norm",
    "msn": ".mean_spectral:mean_spectral_norm",
    "ln": ".layer:layer_norm",
    "bssn": ".bidirectional:bidirectional_spectral_norm",
    "ssn": ".bidirectional:scaled_spectral_norm",
    "wn": ".weight:weight_norm",
    "cwn": ".centered_weight:centered_weight_norm",
    "dsn": ".separable:depthwise_spectral_norm",
    "none": ".plain:plain",
})


def _value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if "+" in text and all(p.strip().isdigit() for p in text.split("+")):
        return tuple(int(p) for p in text.split("+"))
    return text


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"msn:layers=4+6+7,gamma=true"`` -> ``("msn", {"layers": (4, 6, 7), "gamma": True})``."""
    name, _, rest = spec.partition(":")
    options: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ValueError(f"norm option {item!r} in {spec!r} is not key=value (e.g. msn:layers=4+6+7)")
        options[key.strip()] = _value(value.strip())
    return name.strip(), options


def options_of(name: str) -> dict[str, Any]:
    """A norm's options and their defaults."""
    params = inspect.signature(NORMS[name]).parameters.values()
    return {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY}


def get_norm(spec: str, init: str = "torch") -> Callable[[Slot], "nn.Module"]:
    """The builder for a spec string; unknown names or options are a ValueError naming the choices.
    ``init`` (see :mod:`gans.models.init`) initializes each bare layer before the norm wraps it."""
    name, options = parse_spec(spec)
    if name not in NORMS:
        raise ValueError(f"unknown norm {name!r}; choose one of {', '.join(NORMS)}")
    allowed = options_of(name)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        choices = ", ".join(allowed) if allowed else "none"
        raise ValueError(f"norm {name!r} has no option {unknown[0]!r} (its options: {choices})")
    build = functools.partial(NORMS[name], **options)
    from torch import nn

    try:  # check option values now, not at the first layer
        build(Slot(lambda b: nn.Linear(2, 2, bias=b), 2, False, 1))
    except (TypeError, ValueError) as e:
        raise ValueError(f"norm {spec!r}: {e}") from None
    if init == "torch":
        return build
    from gans.models.init import init_layer, init_norms

    init_layer(nn.Linear(1, 1), init)  # an unknown scheme fails here, not at the first layer

    def initialized(slot: Slot) -> "nn.Module":
        return init_norms(build(slot._replace(make=lambda bias: init_layer(slot.make(bias), init))), init)

    return initialized


__all__ = ["NORMS", "Norm", "MakeLayer", "MeanNorm", "Slot", "get_norm", "options_of", "parse_spec"]
__getattr__ = lazy_exports(__name__, {"MeanNorm": ".mean_spectral"})
