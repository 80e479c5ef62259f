"""Benchmark: `coursehost serve --workers 2` against `--workers 1` on PostgreSQL (issue 21).

Both servers run at once over one fresh PostgreSQL database (job workers off), loaded in turns by wrk
(one thread) with authenticated GET /api/v2/ping; we report each one's median requests/s over the
rounds and the ratio. The machine's cores bound the ratio: wrk shares them with the servers.
Run: .venv/bin/python bench/workers.py [--admin-url postgresql://postgres@127.0.0.1:5432/test
     --rounds 5 --seconds 8 --connections 32]
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

from sqlalchemy import create_engine, make_url  # noqa: E402

from coursehost.db.session import normalize_url  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "bench"))
from ping import free_port, wait_ready, wrk  # noqa: E402


def _database(admin_url: str, name: str, action: str) -> None:
    engine = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"' if action == "create"
                             else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def _serve(workers: int, url: str, data_dir: str, secret: str, env: dict) -> tuple[subprocess.Popen, int, str]:
    port, content_port = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "coursehost.cli.main", "serve", "--workers", str(workers), "--port", str(port),
         "--content-port", str(content_port), "--no-access-log", "--log-level", "warning"],
        env=dict(env, COURSEHOST_DATABASE_URL=url, COURSEHOST_DATA_DIR=data_dir, COURSEHOST_SECRET_KEY=secret,
                 COURSEHOST_RUN_WORKER="false"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, port, f"http://127.0.0.1:{port}/api/v2/ping"


def _credentials(proc: subprocess.Popen) -> tuple[str, str]:
    out = ""
    deadline = time.time() + 120
    while "try: curl" not in out and time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"serve exited:\n{out}")
        out += line
    return out.split("appId:")[1].split()[0], out.split("secretKey:")[1].split()[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--admin-url", default=os.environ.get("COURSEHOST_TEST_POSTGRES_URL",
                                                          "postgresql://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    name = f"coursehost_bench_{uuid.uuid4().hex[:10]}"
    _database(args.admin_url, name, "create")
    url = make_url(normalize_url(args.admin_url)).set(database=name).render_as_string(hide_password=False)
    tmp = tempfile.mkdtemp(prefix="coursehost-bench-")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    secret = "bench-instance-key-" + "k" * 40
    procs = []
    try:
        one, _, one_url = _serve(1, url, os.path.join(tmp, "one"), secret, env)
        procs.append(one)
        app_id, key = _credentials(one)  # the first start bootstraps the realm; the other shares it
        two, _, two_url = _serve(2, url, os.path.join(tmp, "two"), secret, env)
        procs.append(two)
        auth = {"Authorization": "Basic " + base64.b64encode(f"{app_id}:{key}".encode()).decode()}
        for ping in (one_url, two_url):
            wait_ready(ping, auth)
            wrk(ping, auth, 2, args.connections)  # warm-up
        rps: dict[str, list[float]] = {"1": [], "2": []}
        for _ in range(args.rounds):  # alternate, so machine noise hits both alike
            rps["1"].append(wrk(one_url, auth, args.seconds, args.connections))
            rps["2"].append(wrk(two_url, auth, args.seconds, args.connections))
        m1, m2 = statistics.median(rps["1"]), statistics.median(rps["2"])
        print(f"serve --workers 1, GET /api/v2/ping: median {m1:8.0f} req/s  rounds {[round(x) for x in rps['1']]}")
        print(f"serve --workers 2, GET /api/v2/ping: median {m2:8.0f} req/s  rounds {[round(x) for x in rps['2']]}")
        print(f"ratio workers 2 / workers 1: {m2 / m1:.2f}  (cores: {os.cpu_count()}, wrk on the same machine)")
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
            proc.stdout.close()
        shutil.rmtree(tmp, ignore_errors=True)
        _database(args.admin_url, name, "drop")


if __name__ == "__main__":
    main()
