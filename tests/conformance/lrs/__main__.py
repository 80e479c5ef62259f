"""Run ADL's LRS conformance test suite against a live Coursehost LRS and print its counts.

    python -m tests.conformance.lrs [--suite DIR] [--version 1.0.3|2.0.0|both] [--database-url URL]
                                    [--grep PATTERN] [--base-url URL --app-id ID --secret S]

The suite (github.com/adlnet/lrs-conformance-test-suite) is kept outside the project tree: clone
it, `npm install` in it, and pass its directory with --suite or COURSEHOST_LRS_SUITE. Without
--base-url a fresh server is started on a free port over a new SQLite database (or
--database-url). Pass means the suite's summary has failed == 0 and passed == total (its exit
code is not reliable)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.contract.server_process import ServerProcess


def run_suite(suite: Path, version: str, endpoint: str, key: str, secret: str, grep: str | None) -> dict:
    """One run of the console runner; its summary plus the titles of the failed tests."""
    cmd = ["node", "bin/console_runner.js", "-x", version, "-e", endpoint, "-a", "-u", key, "-p", secret, "-z"]
    if grep:
        cmd += ["-g", grep]
    out = subprocess.run(cmd, cwd=suite, capture_output=True, text=True, timeout=3600).stdout
    summary, log_path = None, None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{") and '"total"' in line:
            summary = json.loads(line)
        if line.startswith("Full run log written to"):
            log_path = line.split("to", 1)[1].strip()
    failures = []
    if log_path and Path(log_path).exists():
        failures = list(_failed_titles(json.loads(Path(log_path).read_text()).get("log") or {}))
    return {"summary": summary, "failures": failures, "output": out if summary is None else ""}


def _failed_titles(node: dict, trail: tuple[str, ...] = ()):
    title = node.get("title") or node.get("name") or ""
    here = (*trail, title) if title else trail
    tests = node.get("tests") or []
    if not tests and node.get("status") == "failed":
        error = node.get("error")
        yield " > ".join(here[-2:]) + (f"  [{str(error)[:300]}]" if error else "")
    for child in tests:
        if child:
            yield from _failed_titles(child, here)


def _empty_database(url: str) -> None:
    """Drop every table of URL (a PostgreSQL scratch database) so the server starts fresh."""
    from sqlalchemy import create_engine, text

    from coursehost.db.session import normalize_url

    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default=os.environ.get("COURSEHOST_LRS_SUITE", "/tmp/lrs-suite"))
    parser.add_argument("--version", default="both", choices=["1.0.3", "2.0.0", "both"])
    parser.add_argument("--database-url", help="a scratch PostgreSQL database: it is emptied before each run")
    parser.add_argument("--grep")
    parser.add_argument("--base-url")
    parser.add_argument("--app-id")
    parser.add_argument("--secret")
    parser.add_argument("--show", type=int, default=400, help="print at most this many failed tests")
    args = parser.parse_args(argv)
    suite = Path(args.suite)
    if not (suite / "bin" / "console_runner.js").exists() or not (suite / "node_modules").exists():
        print(f"ADL's suite is not installed at {suite}: clone adlnet/lrs-conformance-test-suite there and "
              f"run npm install", file=sys.stderr)
        return 2
    failed_any = False
    for version in (["1.0.3", "2.0.0"] if args.version == "both" else [args.version]):
        server = None
        if args.base_url:
            base, key, secret = args.base_url.rstrip("/"), args.app_id, args.secret
        else:
            data = Path(tempfile.mkdtemp(prefix="coursehost-lrs-suite-"))
            if args.database_url:
                _empty_database(args.database_url)
            # One server per version: it is set to speak VERSION as its latest (what it names when a
            # request names none). IEEE 9274.1.1 4.1.4 asks 409 for a State PUT without
            # concurrency headers; the default accepts it for real content (docs/LRS.md), the
            # suite checks the standard's behaviour.
            server = ServerProcess(args.database_url or f"sqlite:///{data / 'lrs.db'}", data,
                                   env={"COURSEHOST_LRS_STRICT_STATE_CONCURRENCY": "true",
                                        "COURSEHOST_LRS_LATEST_VERSION": version})
            server.start()
            base, key, secret = server.base_url, server.creds.app_id, server.creds.secret
        try:
            result = run_suite(suite, version, f"{base}/lrs/{key}", key, secret, args.grep)
        finally:
            if server is not None:
                server.stop()
        summary = result["summary"]
        if summary is None:
            print(f"xAPI {version}: the suite printed no summary\n{result['output'][-3000:]}")
            failed_any = True
            continue
        for title in result["failures"][: args.show]:
            print(f"  FAILED {title}")
        ok = summary.get("failed") == 0 and summary.get("passed") == summary.get("total")
        failed_any |= not ok
        print(f"xAPI {version}: {summary.get('passed')} passed, {summary.get('failed')} failed, "
              f"{summary.get('total')} total{'' if ok else '  (NOT all passed)'}", flush=True)
    return 1 if failed_any else 0


if __name__ == "__main__":
    sys.exit(main())
