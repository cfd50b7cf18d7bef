"""Name -> implementation tables whose names are known without importing the implementations.

The CLI lists norms and losses in its help and validates flags against them; importing torch for
that would make `gans --help` take seconds. An entry is ``"module:attribute"`` (relative to the
registry's package) and is imported on first use.
"""
from __future__ import annotations

import importlib
from typing import Any, Iterator, Mapping


class Registry(Mapping[str, Any]):
    def __init__(self, package: str, entries: dict[str, str]) -> None:
        self.package = package
        self.entries = entries

    def __getitem__(self, name: str) -> Any:
        module, _, attr = self.entries[name].partition(":")
        return getattr(importlib.import_module(module, self.package), attr)

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def lazy_exports(package: str, exports: dict[str, str]):
    """A module ``__getattr__`` (PEP 562) that imports ``name`` from ``exports[name]`` on first use."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name], package), name)

    return __getattr__
