"""Lazy public names for packages whose implementation imports heavy libraries (PEP 562).

The CLI imports every area to register its commands; with lazy exports ``fuite --help`` does not pay for
faker, pandas, splink or spaCy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package_globals: dict, exports: dict[str, str]) -> Callable[[str], object]:
    """Return a module ``__getattr__`` that imports ``exports[name]`` (a module path) on first use."""

    def __getattr__(name: str) -> object:
        if name not in exports:
            raise AttributeError(f"module {package_globals['__name__']!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        package_globals[name] = value  # also shadows a same-named submodule the import just bound
        return value

    return __getattr__
