"""The run-time domain functions the player calls (coursehost.domain.runtime), in one place."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache


@lru_cache(maxsize=None)
def _domain(name: str):
    pkg = importlib.import_module("coursehost.domain.runtime")
    if hasattr(pkg, name):
        return getattr(pkg, name)
    for mod in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{pkg.__name__}.{mod.name}")
        if hasattr(module, name):
            return getattr(module, name)
    raise RuntimeError(f"coursehost.domain.runtime has no {name}() yet")


def start_launch(session, **kw):
    return _domain("start_launch")(session, **kw)


def sco_start_data(session, **kw):
    return _domain("sco_start_data")(session, **kw)


def apply_commit(session, **kw):
    return _domain("apply_commit")(session, **kw)


def exit_launch(session, **kw):
    return _domain("exit_launch")(session, **kw)
