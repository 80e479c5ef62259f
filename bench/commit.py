"""Benchmark: SCORM run-time commits from 200 simulated learners against the player's commit
endpoint, and against a bare endpoint doing one SQLite write, in the same run.

Each learner commits a realistic SCORM 1.2 payload (the whole data model the player sends: 50
interactions with correct responses, 2 KB of suspend data, status, score, session time, and a few
debug-log entries) with an increasing sequence number.

Two measurements, each in alternating rounds (Coursehost, bare, Coursehost, bare, ...):
- paced: every learner commits every 2 s (the issue's load: 100 commits/s offered); p50 / p99
  latency and commits/s achieved.
- saturated: every learner commits again as soon as its previous commit is answered; commits/s is
  the capacity, and the ratio Coursehost / bare is reported.

Coursehost runs as a user runs it (`coursehost serve`, SQLite in WAL mode under a fresh DATA_DIR in
./var); the bare endpoint is a Starlette route under the same uvicorn settings that parses the
JSON body and writes it as one row (UPSERT) into a SQLite file with the same pragmas.
Run: .venv/bin/python bench/commit.py [--learners 200 --seconds 20 --rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

BARE = textwrap.dedent("""
    import json, sqlite3, sys, threading, uvicorn
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    local = threading.local()

    def db():
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(sys.argv[2], isolation_level=None, timeout=30)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
                conn.execute("PRAGMA " + pragma)
            conn.execute("CREATE TABLE IF NOT EXISTS state (learner TEXT PRIMARY KEY, seq INT, body TEXT)")
            local.conn = conn
        return conn

    def write(learner, seq, body):
        conn = db()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO state VALUES (?, ?, ?) ON CONFLICT(learner) DO UPDATE SET seq=excluded.seq, "
                     "body=excluded.body", (learner, seq, body))
        conn.execute("COMMIT")

    async def commit(request):
        raw = await request.body()
        body = json.loads(raw)
        await run_in_threadpool(write, request.headers["x-player-token"], body["seq"], json.dumps(body["runtime"]))
        return JSONResponse({"lastSeq": body["seq"], "applied": True})

    app = Starlette(routes=[Route("/player/runtime/commit", commit, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
""")

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


async def run_load(url: str, tokens: list[str], seconds: float, paced: bool, seqs: dict,
                   errors: list) -> tuple[list[float], float]:
    """Drive the learners for SECONDS; latencies of the answered commits and the wall time.
    Transport errors are counted in ERRORS (and reported), not retried."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        deadline = time.perf_counter() + seconds

        async def learner(index: int, token: str) -> None:
            if paced:  # spread the learners over the 2 s period
                await asyncio.sleep(2.0 * index / len(tokens))
            while time.perf_counter() < deadline:
                seqs[token] = seqs.get(token, 0) + 1
                body = json.dumps(payload(seqs[token]))
                started = time.perf_counter()
                try:
                    resp = await client.post(url, content=body, headers={"x-player-token": token,
                                                                         "content-type": "application/json"})
                except httpx.TransportError as exc:  # e.g. a kept-alive connection closed under us
                    errors.append(repr(exc))
                    continue
                elapsed = time.perf_counter() - started
                if resp.status_code != 200:
                    raise SystemExit(f"commit failed: {resp.status_code} {resp.text[:300]}")
                latencies.append(elapsed)
                if paced:
                    await asyncio.sleep(max(0.0, 2.0 - elapsed))

        started = time.perf_counter()
        await asyncio.gather(*(learner(i, t) for i, t in enumerate(tokens)))
        wall = time.perf_counter() - started
    return latencies, wall


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--learners", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", default=str(ROOT / "var"))
    args = ap.parse_args()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-commit-", dir=args.dir))
    procs = []
    try:
        port, content_port, bare_port = free_port(), free_port(), free_port()
        env = dict(os.environ, COURSEHOST_DATA_DIR=str(work / "data"), COURSEHOST_WORKER_POLL_SECONDS="0.5")
        serve = subprocess.Popen([str(BIN / "coursehost"), "serve", "--port", str(port), "--content-port",
                                  str(content_port), "--no-access-log", "--log-level", "warning"],
                                 env=env, stdout=subprocess.PIPE, text=True)
        procs.append(serve)
        out = ""
        while "try: curl" not in out:
            line = serve.stdout.readline()
            if not line:
                raise SystemExit("serve did not start")
            out += line
        auth = (out.split("appId:")[1].split()[0], out.split("secretKey:")[1].split()[0])
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/api/v2/ping", auth)
        bare_script = work / "bare.py"
        bare_script.write_text(BARE)
        procs.append(subprocess.Popen([sys.executable, str(bare_script), str(bare_port), str(work / "bare.db")]))
        wait_http(f"http://127.0.0.1:{bare_port}/")
        content = f"http://127.0.0.1:{content_port}"  # the player's run-time endpoints live on the content origin
        tokens = setup_learners(base + "/api/v2", auth, content, args.learners)
        targets = {"coursehost": f"{content}/player/runtime/commit",
                   "bare": f"http://127.0.0.1:{bare_port}/player/runtime/commit"}
        seqs = {name: {} for name in targets}
        results = {(name, mode): [] for name in targets for mode in ("paced", "saturated")}
        errors = {name: [] for name in targets}
        for _ in range(args.rounds):
            for mode in ("paced", "saturated"):
                for name, url in targets.items():
                    lat, wall = asyncio.run(run_load(url, tokens, args.seconds, mode == "paced", seqs[name],
                                                    errors[name]))
                    results[(name, mode)].append((len(lat) / wall, pct(lat, 50), pct(lat, 99)))
        print(json.dumps({"learners": args.learners, "seconds": args.seconds, "rounds": args.rounds,
                          "payload_bytes": len(json.dumps(payload(1)))}))
        summary = {}
        for (name, mode), rows in results.items():
            rate = statistics.median(r[0] for r in rows)
            p50 = statistics.median(r[1] for r in rows)
            p99 = statistics.median(r[2] for r in rows)
            summary[(name, mode)] = rate
            print(f"{mode:9s} {name:10s}: {rate:7.1f} commits/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                  f"rounds {[round(r[0], 1) for r in rows]}")
        for name, errs in errors.items():
            print(f"transport errors {name}: {len(errs)} {sorted(set(errs))[:3]}")
        print(f"ratio coursehost / bare, saturated commits/s: "
              f"{summary[('coursehost', 'saturated')] / summary[('bare', 'saturated')]:.2f} (target >= 0.5)")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
