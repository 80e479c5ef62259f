"""Where ADL's SCORM 2004 4th Edition test suite lies: ../shared/adl-scorm2004-testsuite beside the
checkout (or COURSEHOST_ADL_SUITE). Tests that need it fail, never skip, when it is missing."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def suite_dir() -> Path:
    override = os.environ.get("COURSEHOST_ADL_SUITE")
    candidates = [Path(override)] if override else [REPO.parent / "shared" / "adl-scorm2004-testsuite",
                                                     Path("/work/shared/adl-scorm2004-testsuite")]
    for path in candidates:
        if path.is_dir():
            return path
    return candidates[0]
