"""Count the SQL statements one SCORM run-time commit sends, for comparing two checkouts (issue 20's
report hooks on the commit path: the A/B in docs/PERFORMANCE.md).

`coursehost serve` runs in this process (the main thread, as a user runs it, SQLite under a fresh
DATA_DIR) with a listener on every SQLAlchemy engine; a second thread imports bench/commit.py's
course, opens LEARNERS launches and sends COMMITS commits per learner one at a time (bench/commit.py's
payload: 50 interactions, suspend data, score), reading the statement counter around each request.
The job worker polls once an hour here so that its statements do not land inside a commit.
Printed: statements of a learner's first commit (its interaction facts are new) and the median of
the later ones (same interactions, new score and location), by kind (SELECT / INSERT / UPDATE ...)
and by table, so a before/after difference shows where it comes from, and how many of them run
inside the write transaction (from BEGIN IMMEDIATE on: SQLite's writer lock is held).
Run: PYTHONPATH=<checkout>/src .venv/bin/python bench/commit_sql.py [--learners 3 --commits 10]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
import commit as bench  # noqa: E402  (bench/commit.py: MANIFEST, payload, setup_learners)

STATEMENTS: list[str] = []
LOCK = threading.Lock()


@event.listens_for(Engine, "before_cursor_execute")
def _count(conn, cursor, statement, parameters, context, executemany) -> None:
    with LOCK:
        STATEMENTS.append(statement)


def _kind(statement: str) -> str:
    words = statement.split()
    if [w.upper() for w in words] == ["BEGIN", "IMMEDIATE"]:
        return "BEGIN IMMEDIATE (the write transaction)"
    verb = words[0].upper() if words else "?"
    table = ""
    m = re.search(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", statement, re.IGNORECASE)
    if m:
        table = m.group(1)
    return f"{verb} {table}".strip()


def drive(port: int, content_port: int, learners: int, commits: int, out: dict) -> None:
    try:
        base = f"http://127.0.0.1:{port}"
        auth = out["auth"]
        bench.wait_http(base + "/api/v2/ping", auth)
        content = f"http://127.0.0.1:{content_port}"
        tokens = bench.setup_learners(base + "/api/v2", auth, content, learners)
        first: list[collections.Counter] = []
        later: list[collections.Counter] = []
        with httpx.Client(timeout=60) as client:
            for token in tokens:
                for seq in range(1, commits + 1):
                    with LOCK:
                        mark = len(STATEMENTS)
                    resp = client.post(f"{content}/player/runtime/commit", content=json.dumps(bench.payload(seq)),
                                       headers={"x-player-token": token, "content-type": "application/json"})
                    resp.raise_for_status()
                    time.sleep(0.05)  # let the request's session close (its COMMIT is counted too)
                    with LOCK:
                        sent = collections.Counter(_kind(s) for s in STATEMENTS[mark:])
                        begins = [n for n, s in enumerate(STATEMENTS[mark:]) if s.split() == ["BEGIN", "IMMEDIATE"]]
                        sent["(statements in the write transaction, BEGIN IMMEDIATE on)"] = (
                            len(STATEMENTS) - mark - begins[0] if begins else 0)
                    (first if seq == 1 else later).append(sent)
        out["first"], out["later"] = first, later
    except BaseException as exc:  # reported by the main thread
        out["error"] = repr(exc)
    finally:
        os.kill(os.getpid(), 2)  # stop serve (SIGINT, as Ctrl-C)


def _summary(samples: list[collections.Counter]) -> tuple[float, dict[str, float]]:
    total = statistics.median(sum(v for k, v in c.items() if not k.startswith("(")) for c in samples)
    kinds = sorted({k for c in samples for k in c})
    return total, {k: statistics.median(c.get(k, 0) for c in samples) for k in kinds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learners", type=int, default=3)
    ap.add_argument("--commits", type=int, default=10)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-commit-sql-"))
    os.environ.update(COURSEHOST_DATA_DIR=str(work / "data"), COURSEHOST_WORKER_POLL_SECONDS="3600")
    port, content_port = bench.free_port(), bench.free_port()
    from coursehost.cli import main as cli
    out: dict = {}
    real_print = print

    def watch(*a, **k):  # serve prints the bootstrap application's keys; catch them for the client
        text = out["printed"] = out.get("printed", "") + " ".join(str(x) for x in a) + "\n"
        if "try: curl" in text and "thread" not in out:
            out["auth"] = (text.split("appId:")[1].split()[0], text.split("secretKey:")[1].split()[0])
            out["thread"] = threading.Thread(target=drive, args=(port, content_port, args.learners,
                                                                 args.commits, out), daemon=True)
            out["thread"].start()
        real_print(*a, **k)

    import builtins
    builtins.print = watch
    try:
        cli.main(["serve", "--port", str(port), "--content-port", str(content_port), "--no-access-log",
                  "--log-level", "warning"])
    except KeyboardInterrupt:
        pass
    finally:
        builtins.print = real_print
        shutil.rmtree(work, ignore_errors=True)
    if "error" in out or "first" not in out:
        raise SystemExit(f"failed: {out.get('error', 'serve stopped before the commits were sent')}")
    import coursehost
    print(f"checkout: {Path(coursehost.__file__).parents[2]}")
    for name, samples in (("first commit", out["first"]), ("later commits", out["later"])):
        total, kinds = _summary(samples)
        print(f"{name}: median {total:g} statements over {len(samples)} commits")
        for kind, n in kinds.items():
            if n:
                print(f"  {n:5g}  {kind}")


if __name__ == "__main__":
    main()
