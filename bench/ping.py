"""Benchmark: authenticated GET /api/v2/ping against a bare Starlette route, same server settings.

Each server runs under uvicorn in its own process (one worker, access log off), loaded in turns by
wrk (one thread, with the Authorization header) from a second process; we report the median
requests/s of each over several rounds and the ratios. The CPU each side uses is measured too: wrk's
own (so a saturated load generator cannot pass for a slow server) and the server's, as a share of
one core, and requests per server CPU-second (less sensitive than req/s to other load on the machine).

--before DIR adds a second Coursehost server from another checkout (PYTHONPATH=DIR/src), e.g. main
in a `git worktree`, loaded in the same rounds, so before and after share baselines and noise.
Run: .venv/bin/python bench/ping.py [--rounds 5 --seconds 8 --connections 16] [--before DIR]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

UVICORN_OPTS = "host='127.0.0.1', log_level='warning', access_log=False, workers=1"

BARE = textwrap.dedent(f"""
    import sys, uvicorn
    from datetime import datetime, timezone
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def ping(request):
        return JSONResponse({{"apiMessage": "pong", "currentTime": datetime.now(timezone.utc).isoformat()}})

    app = Starlette(routes=[Route("/api/v2/ping", ping)])
    uvicorn.run(app, port=int(sys.argv[1]), {UVICORN_OPTS})
""")

# FastAPI's own floor: the settled framework with one route, no auth, no middleware of ours.
BARE_FASTAPI = textwrap.dedent(f"""
    import sys, uvicorn
    from datetime import datetime, timezone
    from fastapi import FastAPI

    app = FastAPI(telemetry={{"tracing": False, "metrics": False, "logs": False}})

    @app.get("/api/v2/ping")
    async def ping():
        return {{"apiMessage": "pong", "currentTime": datetime.now(timezone.utc).isoformat()}}

    uvicorn.run(app, port=int(sys.argv[1]), {UVICORN_OPTS})
""")

COURSEHOST = textwrap.dedent(f"""
    import json, sys, uvicorn
    from coursehost.app import create_app
    from coursehost.db.migrate import upgrade
    from coursehost.db.session import unit_of_work
    from coursehost.domain.applications import service as apps
    from coursehost.settings import Settings

    settings = Settings(data_dir=sys.argv[2], run_worker=False).resolved()
    upgrade(settings.database_url)
    app = create_app(settings)
    svc = app.state.services
    with unit_of_work(svc.session_factory) as s:
        creds = apps.bootstrap(s, box=svc.box)
    print(json.dumps({{"appId": creds.app_id, "secret": creds.secret_key}}), flush=True)
    uvicorn.run(app, port=int(sys.argv[1]), {UVICORN_OPTS})
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, headers: dict) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            req = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(req, timeout=2) as resp:
                if resp.status == 200:
                    return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not become ready")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process PID has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wrk(url: str, headers: dict, seconds: int, connections: int, server_pid: int | None = None) -> dict:
    """One wrk run: req/s, and the CPU share of a core used by wrk and by the server."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    server0 = process_cpu(server_pid) if server_pid else 0.0
    wrk0, t0 = children_cpu(), time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    wall = time.monotonic() - t0
    wrk_cpu = (children_cpu() - wrk0) / wall
    server_cpu = (process_cpu(server_pid) - server0) / wall if server_pid else 0.0
    if "Non-2xx" in out:
        raise SystemExit(f"non-2xx answers during the run:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {"rps": rps, "wrk_cpu": wrk_cpu, "server_cpu": server_cpu,
            "per_cpu_s": rps / server_cpu if server_cpu else 0.0}


def start_coursehost(src: str, port: int, data_dir: str) -> tuple[subprocess.Popen, dict]:
    """A Coursehost server from the checkout whose sources are SRC, and its basic auth header."""
    env = dict(os.environ, PYTHONPATH=src)
    proc = subprocess.Popen([sys.executable, "-c", COURSEHOST, str(port), data_dir], env=env,
                            stdout=subprocess.PIPE, text=True)
    creds = json.loads(proc.stdout.readline())
    token = base64.b64encode(f"{creds['appId']}:{creds['secret']}".encode()).decode()
    return proc, {"Authorization": "Basic " + token}


def report(name: str, runs: list[dict]) -> float:
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"{name:34}: median {med['rps']:8.0f} req/s  rounds {[round(r['rps']) for r in runs]}")
    print(f"{'':34}  server CPU {med['server_cpu']:.2f} core, {med['per_cpu_s']:8.0f} req per server "
          f"CPU-s; wrk CPU {med['wrk_cpu']:.2f} core (max {max(r['wrk_cpu'] for r in runs):.2f})")
    return med


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--before", help="another checkout (e.g. main) whose Coursehost is loaded in the same rounds")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    tmp = tempfile.mkdtemp(prefix="coursehost-bench-")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    procs, servers = [], {}  # name -> (url, headers, pid)
    try:
        for name, script in (("bare Starlette route", BARE), ("bare FastAPI route (no auth)", BARE_FASTAPI)):
            port = free_port()
            procs.append(subprocess.Popen([sys.executable, "-c", script, str(port)], env=env))
            servers[name] = (f"http://127.0.0.1:{port}/api/v2/ping", {}, procs[-1].pid)
        checkouts = [("coursehost GET /api/v2/ping", os.path.join(ROOT, "src"))]
        if args.before:
            checkouts.append(("coursehost BEFORE (--before)", os.path.join(os.path.abspath(args.before), "src")))
        for i, (name, src) in enumerate(checkouts):
            port = free_port()
            proc, auth = start_coursehost(src, port, os.path.join(tmp, str(i)))
            procs.append(proc)
            servers[name] = (f"http://127.0.0.1:{port}/api/v2/ping", auth, proc.pid)
        run_rounds(servers, args)
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def run_rounds(servers: dict, args) -> None:
    for url, headers, _pid in servers.values():
        wait_ready(url, headers)
    for url, headers, pid in servers.values():  # warm-up
        wrk(url, headers, 2, args.connections, pid)
    runs: dict[str, list[dict]] = {name: [] for name in servers}
    for _ in range(args.rounds):  # alternate, so machine noise hits all alike
        for name, (url, headers, pid) in servers.items():
            runs[name].append(wrk(url, headers, args.seconds, args.connections, pid))
    med = {name: report(name, r) for name, r in runs.items()}
    b, f = med["bare Starlette route"], med["bare FastAPI route (no auth)"]
    print(f"ratio bare FastAPI / bare Starlette: {f['rps'] / b['rps']:.2f}  (the framework's own ceiling)")
    for name in [n for n in servers if n.startswith("coursehost")]:
        c = med[name]
        print(f"{name}: / bare Starlette {c['rps'] / b['rps']:.2f} (target >= 0.5), / bare FastAPI "
              f"{c['rps'] / f['rps']:.2f}; per server CPU-s: / Starlette {c['per_cpu_s'] / b['per_cpu_s']:.2f}, "
              f"/ FastAPI {c['per_cpu_s'] / f['per_cpu_s']:.2f}")
    if "coursehost BEFORE (--before)" in med:
        after, before = med["coursehost GET /api/v2/ping"], med["coursehost BEFORE (--before)"]
        print(f"after / before: req/s {after['rps'] / before['rps']:.2f}, "
              f"req per server CPU-s {after['per_cpu_s'] / before['per_cpu_s']:.2f}")


if __name__ == "__main__":
    main()
