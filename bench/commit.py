"""Benchmark: SCORM run-time commits from 200 simulated learners against the player's commit
endpoint, and against a bare endpoint that UPSERTs the same JSON as one row, in the same run.

Each learner commits a realistic SCORM 1.2 payload (the whole data model the player sends: 50
interactions with correct responses, 2 KB of suspend data, status, score, session time, and a few
debug-log entries) with its own increasing sequence number, over its own kept-alive connection.

First every learner commits once, 20 at a time (not measured: a learner's first commit writes its
50 interaction facts). Then each round measures, alternating the targets (Coursehost, bare, and the --compare checkout):
- saturated: every learner commits again as soon as its previous commit is answered; commits/s is
  the capacity, and the ratio Coursehost / bare is reported (issue 21's target: >= 0.9).
- paced: an open-loop schedule at --paced-rate commits/s in all (default: half the bare endpoint's
  saturated capacity measured so far in this run), each learner at fixed times; a commit's latency
  counts from the time it was due, so queueing behind a slow answer is counted (p99 target: 100 ms).

Coursehost runs as a user runs it (`python -m coursehost.cli.main serve`, with PYTHONPATH as given
to this script, on a fresh DATA_DIR in ./var). The bare endpoint is a Starlette route under the same
uvicorn settings (and the same --workers) that parses the JSON body and UPSERTs it into one row, on
the same database: a SQLite file with the same pragmas, or the fresh PostgreSQL database.
The floor (unless --no-floor) is the same kind of Starlette app doing only what any correct commit
must (FLOOR below: the strict JSON reader, the runtime token, one SELECT of the launch, Coursehost's
SCORM data-model validator, the exactly-once sequence number and the run-time JSON in one UPSERT):
floor / bare is the most a commit that validates can reach of the bare endpoint.

The load generator is a small asyncio HTTP/1.1 client (no HTTP library); it reports its own CPU use
(getrusage of this process, as a fraction of one core) next to each figure, and the servers' CPU per
commit (/proc of the server process and its children), which is the figure least moved by other
load on the machine.

--database postgresql: a fresh database on --postgres (default postgresql://postgres@127.0.0.1:5432)
for each Coursehost (and the bare table), dropped at the end. --workers N: `serve --workers N` (N > 1
needs PostgreSQL). --compare DIR: also run the Coursehost whose sources are in DIR/src (e.g. a
`git worktree` of main) in the same rounds, as "before".
Run: .venv/bin/python bench/commit.py [--learners 200 --seconds 20 --rounds 3] [--database postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]

BARE = textwrap.dedent("""
    import json, os, threading
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    URL = os.environ["BARE_DB"]
    local = threading.local()
    UPSERT = ("INSERT INTO bench_bare_state VALUES ({p}, {p}, {p}) ON CONFLICT(learner) DO UPDATE SET "
              "seq=excluded.seq, body=excluded.body")

    if URL.startswith("postgresql"):
        import psycopg

        import queue

        # At most 10 connections per process (Coursehost's pool keeps 10 too): with one per request thread
        # (40) and `--workers 2`, the bare servers alone held 80 of PostgreSQL's 100 connections.
        idle, opened, opening = queue.LifoQueue(), [0], threading.Lock()

        def write(learner, seq, body):
            try:
                conn = idle.get_nowait()
            except queue.Empty:
                with opening:
                    fresh = opened[0] < 10
                    opened[0] += fresh
                conn = psycopg.connect(URL, autocommit=True) if fresh else idle.get()
            try:
                conn.execute(UPSERT.format(p="%s"), (learner, seq, body))  # one statement, one transaction
            finally:
                idle.put(conn)
    else:
        import sqlite3

        def write(learner, seq, body):
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = sqlite3.connect(URL, isolation_level=None, timeout=30)
                for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
                    conn.execute("PRAGMA " + pragma)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(UPSERT.format(p="?"), (learner, seq, body))
            conn.execute("COMMIT")

    async def commit(request):
        raw = await request.body()
        body = json.loads(raw)
        await run_in_threadpool(write, request.headers["x-player-token"], body["seq"], json.dumps(body["runtime"]))
        return JSONResponse({"lastSeq": body["seq"], "applied": True})

    app = Starlette(routes=[Route("/player/runtime/commit", commit, methods=["POST"])])
""")

BARE_TABLE = "CREATE TABLE IF NOT EXISTS bench_bare_state (learner TEXT PRIMARY KEY, seq INT, body TEXT)"

#: The floor: what any correct commit must do, with Coursehost's own functions and nothing else. The
#: body read and parsed by the strict JSON reader (web/json_input.loads), the runtime token checked
#: (its HMAC and expiry, launch_tokens.read_runtime_token), the launch looked up by the token's launch
#: id (one SELECT), the run-time data checked by the SCORM data-model validator apply_commit uses
#: (scorm/datamodel.validate_runtime), and the exactly-once sequence number checked and the checked
#: run-time JSON written in one UPSERT (`.. DO UPDATE .. WHERE seq < excluded.seq`), in one transaction.
FLOOR = textwrap.dedent("""
    import json, os, queue, threading
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from coursehost.domain.registrations.launch_tokens import read_runtime_token
    from coursehost.domain.scorm.datamodel import validate_runtime
    from coursehost.domain.standards import RuntimeFamily
    from coursehost.web import json_input

    URL, KEY = os.environ["BARE_DB"], os.environ["FLOOR_KEY"]
    local = threading.local()
    SELECT = "SELECT pk FROM bench_floor_launch WHERE launch_id = {p}"
    UPSERT = ("INSERT INTO bench_floor_state VALUES ({p}, {p}, {p}, {p}) ON CONFLICT(launch_pk) DO UPDATE SET "
              "seq=excluded.seq, activity_id=excluded.activity_id, runtime=excluded.runtime "
              "WHERE bench_floor_state.seq < excluded.seq")

    if URL.startswith("postgresql"):
        import psycopg

        idle, opened, opening = queue.LifoQueue(), [0], threading.Lock()

        def write(launch_id, seq, activity_id, runtime):
            try:
                conn = idle.get_nowait()
            except queue.Empty:
                with opening:
                    fresh = opened[0] < 10
                    opened[0] += fresh
                conn = psycopg.connect(URL, autocommit=True) if fresh else idle.get()
            try:
                with conn.transaction():
                    row = conn.execute(SELECT.format(p="%s"), (launch_id,)).fetchone()
                    if row is None:
                        return None
                    return conn.execute(UPSERT.format(p="%s"), (row[0], seq, activity_id, runtime)).rowcount == 1
            finally:
                idle.put(conn)
    else:
        import sqlite3

        def write(launch_id, seq, activity_id, runtime):
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = sqlite3.connect(URL, isolation_level=None, timeout=30)
                for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
                    conn.execute("PRAGMA " + pragma)
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(SELECT.format(p="?"), (launch_id,)).fetchone()
                if row is None:
                    return None
                return conn.execute(UPSERT.format(p="?"), (row[0], seq, activity_id, runtime)).rowcount == 1
            finally:
                conn.execute("COMMIT")

    async def commit(request):
        launch_id = read_runtime_token(KEY, request.headers.get("x-player-token"))
        body = json_input.loads(await request.body())
        seq = body["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            return JSONResponse({"message": "seq must be a positive integer"}, status_code=400)
        runtime = validate_runtime(body["runtime"], fam=RuntimeFamily.SCORM12, suspend_data_max=4096)
        applied = await run_in_threadpool(write, launch_id, seq, body["activityId"], json.dumps(runtime))
        if applied is None:
            return JSONResponse({"message": "This launch no longer exists"}, status_code=404)
        return JSONResponse({"lastSeq": seq, "applied": applied})

    app = Starlette(routes=[Route("/player/runtime/commit", commit, methods=["POST"])])
""")

FLOOR_TABLES = ("CREATE TABLE IF NOT EXISTS bench_floor_launch (pk INTEGER PRIMARY KEY, launch_id VARCHAR(64) UNIQUE)",
                "CREATE TABLE IF NOT EXISTS bench_floor_state (launch_pk INTEGER PRIMARY KEY, seq INT, "
                "activity_id VARCHAR(255), runtime TEXT)")

MANIFEST = """<?xml version="1.0"?>
<manifest identifier="bench" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Commit benchmark</title>
    <item identifier="sco1" identifierref="r1"><title>Quiz</title></item></organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="index.html">
    <file href="index.html"/></resource></resources>
</manifest>"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def payload(seq: int) -> dict:
    interactions = [{
        "id": f"question-{n:02d}", "type": "choice", "time": f"10:{n % 60:02d}:00", "weighting": "1",
        "student_response": "b", "result": "correct" if n % 3 else "wrong", "latency": "00:00:12",
        "objectives": [{"id": f"objective-{n % 5}"}], "correct_responses": [{"pattern": "b"}],
    } for n in range(50)]
    return {
        "seq": seq, "activityId": "sco1", "terminated": False,
        "runtime": {
            "core": {"lesson_status": "incomplete", "lesson_location": f"page-{seq}", "exit": "suspend",
                     "score": {"raw": str(seq % 100), "min": "0", "max": "100"},
                     "session_time": f"00:{seq // 60 % 60:02d}:{seq % 60:02d}"},
            "suspend_data": ("x" * 2048), "interactions": interactions,
        },
        "log": [{"t": time.time(), "call": "LMSSetValue", "args": ["cmi.core.lesson_location", f"page-{seq}"],
                 "result": "true", "error": "0"}],
    }


_TEMPLATE: list[str] = []


def payload_bytes(seq: int) -> bytes:
    """json.dumps(payload(SEQ)) from a template (the load generator's CPU stays low)."""
    if not _TEMPLATE:
        body = payload(1)
        body["seq"], body["log"][0]["t"] = "@SEQ@", "@T@"
        body["runtime"]["core"].update(lesson_location="page-@SEQ@", score={"raw": "@RAW@", "min": "0", "max": "100"},
                                       session_time="00:@MM@:@SS@")
        body["log"][0]["args"][1] = "page-@SEQ@"
        _TEMPLATE.append(json.dumps(body).replace('"@SEQ@"', "@SEQ@").replace('"@T@"', "@T@"))
    text = _TEMPLATE[0].replace("@SEQ@", str(seq)).replace("@T@", repr(time.time())).replace("@RAW@", str(seq % 100))
    return text.replace("@MM@", f"{seq // 60 % 60:02d}").replace("@SS@", f"{seq % 60:02d}").encode()


def wait_http(url: str, auth=None) -> None:
    for _ in range(300):
        try:
            httpx.get(url, auth=auth, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def setup_learners(api: str, auth, base: str, learners: int) -> list[str]:
    """Import the course, create the registrations, open each launch; the runtime tokens."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("imsmanifest.xml", MANIFEST)
        z.writestr("index.html", "<html><body>quiz</body></html>")
    job = httpx.post(f"{api}/courses/importJobs/upload", params={"courseId": "bench"}, auth=auth,
                     files={"file": ("c.zip", buf.getvalue(), "application/zip")}).json()["result"]
    while httpx.get(f"{api}/courses/importJobs/{job}", auth=auth).json()["status"] == "RUNNING":
        time.sleep(0.1)
    tokens = []
    with httpx.Client(auth=auth, timeout=30) as client:
        for n in range(learners):
            reg = f"bench-reg-{n}"
            client.post(f"{api}/registrations", json={
                "courseId": "bench", "registrationId": reg,
                "learner": {"id": f"learner-{n}", "firstName": "Bench", "lastName": f"Learner {n}"},
            }).raise_for_status()
            link = client.post(f"{api}/registrations/{reg}/launchLink", json={"expiry": 300}).json()["launchLink"]
            page = httpx.get(link if link.startswith("http") else base + link, timeout=30)
            page.raise_for_status()
            tokens.append(re.search(r'"runtimeToken":\s*"([^"]+)"', page.text).group(1))
    return tokens


# ---------------------------------------------------------------- the load generator


class Learner:
    """One learner's kept-alive HTTP/1.1 connection and its sequence numbers."""

    def __init__(self, host: str, port: int, path: str, token: str, seq: int) -> None:
        self.host, self.port, self.path, self.token, self.seq = host, port, path, token, seq
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def request(self) -> bytes:
        self.seq += 1
        body = payload_bytes(self.seq)
        head = (f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\ncontent-type: application/json\r\n"
                f"x-player-token: {self.token}\r\ncontent-length: {len(body)}\r\n\r\n")
        return head.encode() + body

    async def post(self, data: bytes, errors: list[str]) -> int:
        """Send DATA; the answer's status. A connection the server closed while idle is reopened and
        the same request sent again (the retry is counted in ERRORS; the sequence number makes it safe)."""
        for attempt in (1, 2):
            try:
                if self.reader is None or self.reader.at_eof():
                    await self.close()
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                self.writer.write(data)
                head = await self.reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                await self.reader.readexactly(int(length.group(1)) if length else 0)
                return int(head[9:12])
            except (OSError, asyncio.IncompleteReadError) as exc:
                await self.close()
                if attempt == 2:
                    raise
                errors.append(type(exc).__name__)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def run_load(learners: list[Learner], seconds: float, rate: float | None, errors: list) -> tuple[list[float], float]:
    """Drive LEARNERS for SECONDS: saturated (RATE None) or an open-loop schedule of RATE commits/s in
    all. Latencies of the answered commits (paced: from the time each was due) and the wall time."""
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    period = len(learners) / rate if rate else 0.0

    async def one(index: int, learner: Learner) -> None:
        due = started + period * index / len(learners)
        while True:
            if rate:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            sent = time.perf_counter()
            if sent >= deadline:
                return
            status = await learner.post(learner.request(), errors)
            if status != 200:
                raise SystemExit(f"commit failed: HTTP {status}")
            latencies.append(time.perf_counter() - (due if rate else sent))
            due += period

    await asyncio.gather(*(one(i, learner) for i, learner in enumerate(learners)))
    return latencies, time.perf_counter() - started


async def warm(learners: list[Learner], errors: list) -> None:
    """One commit per learner, 20 at a time."""
    gate = asyncio.Semaphore(20)

    async def one(learner: Learner) -> None:
        async with gate:
            if await learner.post(learner.request(), errors) != 200:
                raise SystemExit("warm-up commit failed")
            await learner.close()

    await asyncio.gather(*(one(learner) for learner in learners))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _tree_cpu(pid: int) -> float:
    """CPU seconds of PID and its live children (uvicorn's worker processes)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measure(learners: list[Learner], pid: int, seconds: float, rate: float | None, errors: list) -> dict:
    own, server = _own_cpu(), _tree_cpu(pid)
    try:
        import uvloop  # (uvicorn's loop too; the cheaper client)
        lat, wall = uvloop.run(_measure(learners, seconds, rate, errors))
    except ImportError:
        lat, wall = asyncio.run(_measure(learners, seconds, rate, errors))
    own, server = _own_cpu() - own, _tree_cpu(pid) - server
    return {"rate": len(lat) / wall, "p50": pct(lat, 50), "p99": pct(lat, 99), "client_cpu": own / wall,
            "server_cpu_ms": 1000 * server / max(1, len(lat))}


async def _measure(learners: list[Learner], seconds: float, rate: float | None, errors: list):
    try:
        return await run_load(learners, seconds, rate, errors)
    finally:
        for learner in learners:  # connections belong to this event loop
            await learner.close()


# ---------------------------------------------------------------- the servers


class Databases:
    """Fresh databases: SQLite files under WORK, or PostgreSQL databases dropped by close()."""

    def __init__(self, kind: str, work: Path, server: str) -> None:
        self.kind, self.work, self.server, self.created = kind, work, server.rstrip("/"), []

    def new(self, name: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.work / name}.db"
        import psycopg
        db = f"bench_commit_{name}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
        self.created.append(db)
        return f"{self.server}/{db}"

    def close(self) -> None:
        if self.created:
            import psycopg
            with psycopg.connect(f"{self.server}/postgres", autocommit=True) as conn:
                for db in self.created:
                    conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def start_coursehost(name: str, src: Path, url: str, work: Path, workers: int, procs: list) -> tuple[int, str, tuple]:
    """`serve` of the sources in SRC on URL; (pid, content origin, API credentials)."""
    port, content_port = free_port(), free_port()
    env = dict(os.environ, COURSEHOST_DATA_DIR=str(work / name), COURSEHOST_DATABASE_URL=url,
               COURSEHOST_WORKER_POLL_SECONDS="0.5", PYTHONPATH=str(src))
    cmd = [sys.executable, "-m", "coursehost.cli.main", "serve", "--port", str(port), "--content-port",
           str(content_port), "--no-access-log", "--log-level", "warning"]
    if workers != 1:
        cmd += ["--workers", str(workers)]
    serve = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    procs.append(serve)
    out = ""
    while "try: curl" not in out:
        line = serve.stdout.readline()
        if not line:
            raise SystemExit(f"{name}: serve did not start")
        out += line
    auth = (out.split("appId:")[1].split()[0], out.split("secretKey:")[1].split()[0])
    wait_http(f"http://127.0.0.1:{port}/api/v2/ping", auth)
    content = f"http://127.0.0.1:{content_port}"  # the player's run-time endpoints live on the content origin
    tokens = setup_learners(f"http://127.0.0.1:{port}/api/v2", auth, content, LEARNERS[0])
    return serve.pid, content, tokens


LEARNERS = [200]


def start_bare(url: str, work: Path, workers: int, procs: list, *, name: str = "bare", source: str = BARE,
               tables: tuple[str, ...] = (BARE_TABLE,), env: dict | None = None) -> tuple[int, str]:
    """A plain Starlette app SOURCE (the bare endpoint, or the floor) under uvicorn on URL's database."""
    if url.startswith("postgresql"):
        import psycopg
        with psycopg.connect(url, autocommit=True) as conn:
            for table in tables:
                conn.execute(table)
        bare_url = url
    else:
        import sqlite3
        bare_url = url.removeprefix("sqlite:///")
        with sqlite3.connect(bare_url) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            for table in tables:
                conn.execute(table)
    (work / f"{name}.py").write_text(source)
    port = free_port()
    procs.append(subprocess.Popen(
        [sys.executable, "-m", "uvicorn", f"{name}:app", "--port", str(port), "--workers", str(workers),
         "--log-level", "warning", "--no-access-log"], cwd=work, env=dict(os.environ, BARE_DB=bare_url, **(env or {}))))
    wait_http(f"http://127.0.0.1:{port}/")
    return procs[-1].pid, f"http://127.0.0.1:{port}"


def start_floor(url: str, work: Path, workers: int, procs: list, learners: int) -> tuple[int, str, list[str]]:
    """The floor (FLOOR) on URL's database: one launch row per learner; (pid, base url, runtime tokens)."""
    from coursehost.domain.registrations.launch_tokens import make_runtime_token

    key = uuid.uuid4().hex
    launch_ids = [uuid.uuid4().hex for _ in range(learners)]
    pid, base = start_bare(url, work, workers, procs, name="floor", source=FLOOR, tables=FLOOR_TABLES,
                           env={"FLOOR_KEY": key})
    rows = [(n + 1, launch_id) for n, launch_id in enumerate(launch_ids)]
    if url.startswith("postgresql"):
        import psycopg
        with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
            cur.executemany("INSERT INTO bench_floor_launch VALUES (%s, %s)", rows)
    else:
        import sqlite3
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.executemany("INSERT INTO bench_floor_launch VALUES (?, ?)", rows)
    return pid, base, [make_runtime_token(key, launch_id=launch_id) for launch_id in launch_ids]


# ---------------------------------------------------------------- the run


def _learners(base: str, tokens: list[str]) -> list[Learner]:
    host, port = base.removeprefix("http://").split(":")
    return [Learner(host, int(port), "/player/runtime/commit", token, 0) for token in tokens]


def _report(args, results: dict, errors: dict, rates: list[float]) -> None:
    print(json.dumps({"learners": args.learners, "seconds": args.seconds, "rounds": args.rounds,
                      "database": args.database, "workers": args.workers, "paced_rates": [round(r, 1) for r in rates],
                      "payload_bytes": len(json.dumps(payload(1))), "results": {
                          f"{name} {mode}": rows for (name, mode), rows in results.items()}}))
    summary = {}
    for (name, mode), rows in results.items():
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        summary[(name, mode)] = med
        print(f"{mode:9s} {name:10s}: {med['rate']:7.1f} commits/s  p50 {med['p50']:7.1f} ms  p99 "
              f"{med['p99']:7.1f} ms  server CPU {med['server_cpu_ms']:5.1f} ms/commit  client CPU "
              f"{med['client_cpu']:.0%} of a core  rounds {[round(r['rate'], 1) for r in rows]}")
    for name, errs in errors.items():
        print(f"reconnects {name}: {len(errs)} {sorted(set(errs))[:3]}")
    bare = summary[("bare", "saturated")]["rate"]
    for name in errors:
        if name not in ("bare", "floor"):
            print(f"ratio {name} / bare, saturated commits/s: {summary[(name, 'saturated')]['rate'] / bare:.2f} "
                  f"(target >= 0.9); paced at {statistics.median(rates):.1f}/s: p99 "
                  f"{summary[(name, 'paced')]['p99']:.1f} ms (target < 100)")
    if "floor" in errors:
        floor = summary[("floor", "saturated")]["rate"]
        print(f"ratio floor / bare, saturated commits/s: {floor / bare:.2f} (what a commit that validates reaches); "
              f"server CPU per commit floor / bare: {summary[('floor', 'saturated')]['server_cpu_ms'] / summary[('bare', 'saturated')]['server_cpu_ms']:.2f}")
        for name in ("coursehost", "before"):
            if name in errors:
                print(f"ratio {name} / floor, saturated commits/s: {summary[(name, 'saturated')]['rate'] / floor:.2f}")
    if "before" in errors:
        print(f"after / before, saturated commits/s: {summary[('coursehost', 'saturated')]['rate'] / summary[('before', 'saturated')]['rate']:.2f}")
    worst = max(r["client_cpu"] for rows in results.values() for r in rows)
    print(f"load generator CPU, worst measurement: {worst:.0%} of a core (limit 25%)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learners", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432",
                    help="the PostgreSQL server (--database postgresql): fresh databases are created and dropped")
    ap.add_argument("--workers", type=int, default=1, help="serve --workers N (and the bare endpoint's uvicorn)")
    ap.add_argument("--paced-rate", type=float, help="offered commits/s when paced (default: half the bare capacity)")
    ap.add_argument("--compare", type=Path, help="a second checkout, run as 'before' in the same rounds")
    ap.add_argument("--no-floor", action="store_true", help="leave out the floor target")
    ap.add_argument("--dir", default=str(ROOT / "var"))
    args = ap.parse_args()
    if args.database == "sqlite" and args.workers != 1:
        raise SystemExit("--workers > 1 needs --database postgresql (SQLite has one writer process)")
    LEARNERS[0] = args.learners
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-commit-", dir=args.dir))
    dbs = Databases(args.database, work, args.postgres)
    procs: list[subprocess.Popen] = []
    try:
        sources = {"coursehost": Path(os.environ.get("PYTHONPATH", "").split(os.pathsep)[0] or ROOT / "src")}
        if args.compare:
            sources["before"] = args.compare.resolve() / "src"
        targets = {}  # name -> (pid, base url, tokens)
        for name, src in sources.items():
            targets[name] = start_coursehost(name, src, dbs.new(name), work, args.workers, procs)
        pid, base = start_bare(dbs.new("bare"), work, args.workers, procs)
        targets["bare"] = (pid, base, targets["coursehost"][2])
        if not args.no_floor:
            targets["floor"] = start_floor(dbs.new("floor"), work, args.workers, procs, args.learners)
        learners = {name: _learners(base, tokens) for name, (_, base, tokens) in targets.items()}
        results = {(name, mode): [] for mode in ("saturated", "paced") for name in targets}
        errors = {name: [] for name in targets}
        for name in targets:  # every learner's first commit (its facts new) before anything is measured
            asyncio.run(warm(learners[name], errors[name]))
        rates: list[float] = []
        for n in range(args.rounds):
            order = list(targets) if n % 2 == 0 else list(reversed(targets))
            for name in order:
                results[(name, "saturated")].append(measure(learners[name], targets[name][0], args.seconds, None,
                                                            errors[name]))
            bare = statistics.median(r["rate"] for r in results[("bare", "saturated")])
            rates.append(args.paced_rate or bare / 2)
            for name in order:
                results[(name, "paced")].append(measure(learners[name], targets[name][0], args.seconds, rates[-1],
                                                        errors[name]))
        _report(args, results, errors, rates)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        dbs.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
