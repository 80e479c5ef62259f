"""The previous release, for rolling-upgrade tests: its source taken out of git, and its newest migration.

Migrations after PREVIOUS_RELEASE_HEAD must be expand-only (tests/unit/test_expand_only_migrations.py),
and the previous release's processes must keep working against the schema they build
(tests/contract/test_previous_release.py). On the next release, move both constants forward together."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

PREVIOUS_RELEASE = "4cadc36"  # main as landed at stop 24 (issue 21 part 1)
PREVIOUS_RELEASE_HEAD = "0026"  # its newest migration

REPO = Path(__file__).resolve().parents[1]


def extract_previous_release(dest: Path) -> Path:
    """`git archive PREVIOUS_RELEASE src` unpacked into DEST; returns DEST/src (what goes on PYTHONPATH).
    Fails the test (never skips it) when git or the commit is missing."""
    git = shutil.which("git")
    if git is None:
        pytest.fail("the previous-release test needs git on PATH to take the previous release's source out of "
                    f"the repository (commit {PREVIOUS_RELEASE})")
    found = subprocess.run([git, "-C", str(REPO), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
                           capture_output=True, text=True)
    if found.returncode != 0:
        pytest.fail(f"commit {PREVIOUS_RELEASE} (the previous release) is not in the repository at {REPO}: a "
                    f"shallow clone? Fetch the history (git fetch --unshallow) and run again. git: {found.stderr.strip()}")
    archive = subprocess.run([git, "-C", str(REPO), "archive", "--format=tar", PREVIOUS_RELEASE, "src"],
                             capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    src = dest / "src"
    # The npm files are not in git (the setup command installs them): lend it this checkout's.
    vendor = REPO / "src" / "coursehost" / "static" / "vendor"
    if vendor.is_dir() and not (src / "coursehost" / "static" / "vendor").exists():
        (src / "coursehost" / "static" / "vendor").symlink_to(vendor, target_is_directory=True)
    return src


def newest_migration(src: Path) -> str:
    """The newest revision among SRC's migration files (named NNNN_*.py, one linear chain)."""
    versions = src / "coursehost" / "db" / "migrations" / "versions"
    return max(p.name.split("_", 1)[0] for p in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))
