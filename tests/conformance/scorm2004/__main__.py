"""python -m tests.conformance.scorm2004 [SCRIPT_ID ...] [-v]: replay ADL's SCORM 2004 4th Edition
LMS test-suite step scripts; one line per failing script, then "N passed, M failed"."""

from __future__ import annotations

import collections
import sys

from tests.conformance.scorm2004.bridge import ApiBridge
from tests.conformance.scorm2004.runner import run_script, script_ids


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    summary = "--summary" in argv
    ids = [a for a in argv if not a.startswith("-")] or script_ids()
    passed = failed = 0
    cats: collections.Counter[str] = collections.Counter()
    with ApiBridge() as bridge:
        for sid in ids:
            r = run_script(sid, bridge)
            if r.passed:
                passed += 1
                if verbose:
                    print(f"PASS {sid}")
            else:
                failed += 1
                cats[r.category] += 1
                print(f"FAIL {r.message}")
                if verbose:
                    for line in r.log[-6:]:
                        print(f"     {line}")
    if summary:
        for cat, n in cats.most_common():
            print(f"  {n:4d}  {cat}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
