"""Real packages from public repositories (tests/conformance/packages) are played only by
`make conformance-packages`: they need checkouts kept outside the tree (never committed)."""

import os

collect_ignore = [] if os.environ.get("COURSEHOST_CONFORMANCE_PACKAGES") else ["packages"]
