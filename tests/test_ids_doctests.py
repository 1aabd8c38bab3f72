"""The module docstrings are the spec (stdnum style): run their doctests, ids and detect alike."""

import doctest
import importlib
import pkgutil

import pytest

import fuite.detect
import fuite.ids

MODULES = [f"{pkg.__name__}.{m.name}" for pkg in (fuite.ids, fuite.detect)
           for m in pkgutil.iter_modules(pkg.__path__) if m.name not in ("cli",)]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
