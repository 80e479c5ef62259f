"""Run ADL's CATAPULT LMS Test Suite (cmi5) against a live Coursehost and print its counts.

    python -m tests.conformance.cmi5 [--suite DIR] [--work DIR] [--database-url URL] [--test PATTERN]

The suite (the lts/ folder of github.com/adlnet/CATAPULT) is kept outside the project tree; pass
its folder with --suite or COURSEHOST_CATAPULT_LTS. It is copied to --work (default
/tmp/coursehost-catapult-lts), installed there (`npm ci`, its puppeteer told to skip its own
browser download: Debian's Chromium drives the AUs) and its test packages are built (`npx webpack`
in pkg/) unless that was done before. Our LMS library (lms.coursehost.js, beside this file) is
copied in as lib/lms.coursehost.js; a fresh `coursehost serve` is started on free ports over a new
SQLite database (or --database-url, a scratch PostgreSQL database that is emptied first), and jest
runs the suite's two files. Pass means jest's summary has no failed and no skipped test."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conformance.lrs.__main__ import _empty_database
from tests.contract.server_process import ServerProcess

HERE = Path(__file__).parent
CHROMIUM = os.environ.get("PUPPETEER_EXECUTABLE_PATH", "/usr/bin/chromium")


def _npm_env() -> dict:
    # webpack 5.45's md4 hashing needs OpenSSL's legacy provider on Node >= 17.
    return dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1", PUPPETEER_SKIP_CHROMIUM_DOWNLOAD="1",
                NODE_OPTIONS="--openssl-legacy-provider")


def prepare(suite: Path, work: Path) -> None:
    """WORK as an installed copy of SUITE with its packages built (each step only when missing)."""
    if not (work / "package.json").exists():
        shutil.copytree(suite, work, dirs_exist_ok=True, ignore=shutil.ignore_patterns("node_modules", "dist", "var"))
    if not (work / "node_modules" / ".bin" / "jest").exists():
        print(f"npm ci in {work}", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=work, env=_npm_env(), check=True,
                       stdout=subprocess.DEVNULL)
    if not (work / "pkg" / "dist" / "001-essentials.zip").exists():
        print(f"npx webpack in {work / 'pkg'}", flush=True)
        subprocess.run(["npx", "webpack"], cwd=work / "pkg", env=_npm_env(), check=True, stdout=subprocess.DEVNULL)


def run_jest(work: Path, server: ServerProcess, pattern: str | None) -> dict:
    """One jest run of the suite against SERVER: jest's JSON summary."""
    shutil.copy(HERE / "lms.coursehost.js", work / "lib" / "lms.coursehost.js")
    config = work / "jest-puppeteer.coursehost.json"
    config.write_text(json.dumps({"launch": {
        "headless": True, "executablePath": CHROMIUM,
        "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]}}))
    out = work / "var" / "coursehost-jest.json"
    out.parent.mkdir(exist_ok=True)
    out.unlink(missing_ok=True)
    env = dict(os.environ, CATAPULT_LMS=str(work / "lib" / "lms.coursehost.js"),
               COURSEHOST_API_URL=server.api_url, COURSEHOST_APP_ID=server.creds.app_id,
               COURSEHOST_SECRET=server.creds.secret,
               COURSEHOST_LRS_ENDPOINT=f"{server.base_url}/lrs/{server.creds.app_id}/",
               JEST_PUPPETEER_CONFIG=str(config), PUPPETEER_EXECUTABLE_PATH=CHROMIUM, HEADLESS="true")
    cmd = ["npx", "jest", "--runInBand", "--json", f"--outputFile={out}"]
    if pattern:
        cmd += ["-t", pattern]
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=3600)
    if not out.exists():
        raise RuntimeError(f"jest wrote no summary (exit {proc.returncode}):\n{proc.stderr[-5000:]}")
    report = json.loads(out.read_text())
    report["_stderr"] = proc.stderr
    return report


def failures(report: dict):
    """(title, first line of the failure) of every test that did not pass."""
    for suite in report.get("testResults") or []:
        if suite.get("status") == "failed" and not suite.get("assertionResults"):
            yield Path(suite.get("name", "")).name, (suite.get("message") or "").strip()[:600]
        for test in suite.get("assertionResults") or []:
            if test.get("status") != "passed":
                message = " ".join(test.get("failureMessages") or [])
                yield (f"[{test.get('status')}] {test.get('fullName')}",
                       " ".join(message.split())[:300])


def au_results(stderr: str):
    """What the AUs of failed tests reported (the suite logs "<requirement>: <message>" after a file)."""
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "console.log":
            for text in lines[i + 1:]:
                if not text.strip() or text.strip().startswith("at "):
                    break
                yield text.strip()[:400]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default=os.environ.get("COURSEHOST_CATAPULT_LTS"),
                        help="the lts/ folder of a CATAPULT checkout (COURSEHOST_CATAPULT_LTS)")
    parser.add_argument("--work", default=os.environ.get("COURSEHOST_CATAPULT_LTS_WORK", "/tmp/coursehost-catapult-lts"),
                        help="where the suite is copied, installed and built")
    parser.add_argument("--database-url", help="a scratch PostgreSQL database: it is emptied before the run")
    parser.add_argument("--test", help="only tests whose name matches this pattern (jest -t)")
    parser.add_argument("--show-output", action="store_true", help="print jest's own output too")
    args = parser.parse_args(argv)
    if not args.suite or not (Path(args.suite) / "__tests__" / "runtime.js").exists():
        print("CATAPULT's LMS test suite not found: pass its lts/ folder with --suite or COURSEHOST_CATAPULT_LTS "
              "(git clone https://github.com/adlnet/CATAPULT)", file=sys.stderr)
        return 2
    work = Path(args.work)
    prepare(Path(args.suite), work)
    data = Path(tempfile.mkdtemp(prefix="coursehost-cmi5-lts-"))
    if args.database_url:
        _empty_database(args.database_url)
    server = ServerProcess(args.database_url or f"sqlite:///{data / 'coursehost.db'}", data)
    server.start()
    try:
        report = run_jest(work, server, args.test)
    finally:
        server.stop()
    if args.show_output:
        print(report["_stderr"])
    for title, message in failures(report):
        print(f"  FAILED {title}\n         {message}")
    for note in au_results(report["_stderr"]):
        print(f"  AU said: {note}")
    total, passed = report.get("numTotalTests", 0), report.get("numPassedTests", 0)
    failed, skipped = report.get("numFailedTests", 0), report.get("numPendingTests", 0)
    broken = report.get("numFailedTestSuites", 0) - (1 if failed else 0) * 0
    ok = total > 0 and passed == total and failed == 0 and skipped == 0 and report.get("numRuntimeErrorTestSuites", 0) == 0
    print(f"cmi5 (CATAPULT lts): {passed} passed, {failed} failed, {skipped} skipped, {total} total, "
          f"{report.get('numTotalTestSuites', 0)} files ({broken} failed)"
          f"{'' if ok else '  (NOT all passed)'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
