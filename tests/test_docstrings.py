"""The examples in infralab's docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import infralab

MODULES = sorted(m.name for m in pkgutil.walk_packages(infralab.__path__, "infralab.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
