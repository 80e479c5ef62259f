"""Sources of the real packages played here: checkouts of public repositories kept outside the
project tree (never committed), one environment variable each. A missing source fails the run
with the variable to set; nothing is skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SOURCES = {
    "catapult": "COURSEHOST_CATAPULT",  # github.com/adlnet/CATAPULT
    "tincan_prototypes": "COURSEHOST_TINCAN_PROTOTYPES",  # github.com/RusticiSoftware/TinCan_Prototypes
    "tincanjs": "COURSEHOST_TINCANJS",  # github.com/RusticiSoftware/TinCanJS (the prototypes' submodule)
    "elearning_module_parser": "COURSEHOST_ELEARNING_MODULE_PARSER",  # github.com/jcputney/elearning-module-parser
}


def source(name: str) -> Path:
    variable = SOURCES[name]
    value = os.environ.get(variable)
    if not value or not Path(value).is_dir():
        pytest.fail(f"{variable} must name a checkout of the {name} repository (got {value!r})")
    return Path(value)
