"""Benchmark: authenticated GET /api/v2/ping against a bare Starlette route, same server settings.

Both run under uvicorn in their own process (one worker, access log off), loaded in turns by wrk
from a second process; we report the median requests/s of each over several rounds and the ratio.
Run: .venv/bin/python bench/ping.py [--rounds 5 --seconds 8 --connections 16]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request

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
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            req = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(req, timeout=2) as resp:
                if resp.status == 200:
                    return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not become ready")


def wrk(url: str, headers: dict, seconds: int, connections: int) -> float:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"non-2xx answers during the run:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    tmp = tempfile.mkdtemp(prefix="coursehost-bench-")
    bare_port, fa_port, ch_port = free_port(), free_port(), free_port()
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    bare = subprocess.Popen([sys.executable, "-c", BARE, str(bare_port)], env=env)
    fastapi_bare = subprocess.Popen([sys.executable, "-c", BARE_FASTAPI, str(fa_port)], env=env)
    ch = subprocess.Popen([sys.executable, "-c", COURSEHOST, str(ch_port), tmp], env=env,
                          stdout=subprocess.PIPE, text=True)
    try:
        creds = json.loads(ch.stdout.readline())
        auth = {"Authorization": "Basic " + base64.b64encode(f"{creds['appId']}:{creds['secret']}".encode()).decode()}
        bare_url = f"http://127.0.0.1:{bare_port}/api/v2/ping"
        ch_url = f"http://127.0.0.1:{ch_port}/api/v2/ping"
        fa_url = f"http://127.0.0.1:{fa_port}/api/v2/ping"
        wait_ready(bare_url, {})
        wait_ready(fa_url, {})
        wait_ready(ch_url, auth)
        wrk(bare_url, {}, 2, args.connections)  # warm-up
        wrk(ch_url, auth, 2, args.connections)
        wrk(fa_url, {}, 2, args.connections)
        bare_rps, ch_rps, fa_rps = [], [], []
        for _ in range(args.rounds):  # alternate, so machine noise hits all alike
            bare_rps.append(wrk(bare_url, {}, args.seconds, args.connections))
            ch_rps.append(wrk(ch_url, auth, args.seconds, args.connections))
            fa_rps.append(wrk(fa_url, {}, args.seconds, args.connections))
        b, c, f = (statistics.median(x) for x in (bare_rps, ch_rps, fa_rps))
        print(f"bare Starlette route        : median {b:8.0f} req/s  rounds {[round(x) for x in bare_rps]}")
        print(f"bare FastAPI route (no auth): median {f:8.0f} req/s  rounds {[round(x) for x in fa_rps]}")
        print(f"coursehost GET /api/v2/ping : median {c:8.0f} req/s  rounds {[round(x) for x in ch_rps]}")
        print(f"ratio coursehost / bare Starlette: {c / b:.2f}  (target >= 0.5)")
        print(f"ratio bare FastAPI / bare Starlette: {f / b:.2f}  (the framework's own ceiling)")
        print(f"ratio coursehost / bare FastAPI: {c / f:.2f}")
    finally:
        for p in (bare, fastapi_bare, ch):
            p.terminate()
            p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
