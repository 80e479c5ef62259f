"""Every requirement ADL's LRS conformance suite tests (its XAPI-00xxx ids, listed in
tests/conformance/lrs/requirements.tsv with the suite files that test them) is cited by at least
one of our own tests: a line of a test module that mentions "xapi" cites every five-digit id on it
(a test's name `test_xapi_00167_round_trip_and_00128_00135_bad_parts`, a pytest id "XAPI-00012",
a comment beside the assertion); `00196_to_00199` cites the range."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[2]
LIST = TESTS / "conformance" / "lrs" / "requirements.tsv"
ID = re.compile(r"(?<!\d)(\d{5})(?!\d)")
RANGE = re.compile(r"(?<!\d)(\d{5})_to_(\d{5})(?!\d)")


def _required() -> set[str]:
    return {line.split("\t", 1)[0] for line in LIST.read_text().splitlines() if line.startswith("XAPI-")}


def _cited() -> set[str]:
    found = set()
    for path in TESTS.rglob("test_*.py"):
        if path.name == Path(__file__).name:  # its docstring's examples cite nothing
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if "xapi" not in line.lower():
                continue
            found.update(f"XAPI-{n}" for n in ID.findall(line))
            for low, high in RANGE.findall(line):
                found.update(f"XAPI-{n:05d}" for n in range(int(low), int(high) + 1))
    return found


def test_the_requirement_list_is_the_suites():
    required = _required()
    assert len(required) == 205 and all(re.fullmatch(r"XAPI-\d{5}", r) for r in required)


def test_every_requirement_of_adls_suite_is_cited_by_a_test():
    missing = sorted(_required() - _cited())
    assert not missing, f"{len(missing)} requirements no test cites: {', '.join(missing)}"
