"""ADL SCORM 2004 4th Edition LMS test-suite step scripts that pass today (passing.txt) keep passing:
each is replayed against our sequencing engine and scorm-again (+ static/player/scorm-again-adapter.js)
through one node process (tests/conformance/scorm2004). Fails, never skips, when the suite folder is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adl_suite import suite_dir
from tests.conformance.scorm2004.bridge import ApiBridge
from tests.conformance.scorm2004.runner import run_script

PASSING = Path(__file__).resolve().parents[1] / "conformance" / "scorm2004" / "passing.txt"
SCRIPTS = [line.strip() for line in PASSING.read_text().splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def bridge():
    with ApiBridge() as b:
        yield b


def test_suite_present():
    assert (suite_dir() / "TestCases").is_dir(), f"ADL test suite missing at {suite_dir()}"


@pytest.mark.parametrize("script_id", SCRIPTS)
def test_adl_script_passes(bridge, script_id):
    path = suite_dir() / "TestCases" / f"{script_id}.properties"
    assert path.is_file(), f"ADL test suite missing: {path}"
    result = run_script(script_id, bridge)
    assert result.passed, result.message
